using Bunker.Chunking;
using Bunker.Client.Restore;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;
using Bunker.Server.Tests.Daemon;
using Google.Protobuf;

namespace Bunker.Server.Tests.Transfer;

/// <summary>What the fetcher refuses: chunks that do not match their digests, chunks left out or never asked for, unknown digests.</summary>
public sealed class ChunkFetcherTests
{
    private static readonly byte[] Good = [.. Chunks.Random(1, seed: 7)[0]];
    private static readonly ChunkDigest GoodDigest = ChunkDigest.Compute(Good);
    private static readonly byte[] Other = [.. Chunks.Random(1, seed: 8)[0]];

    private static ChunkData Wire(ChunkDigest digest, byte[] raw) => new()
    {
        Digest = ByteString.CopyFrom(digest.ToArray()),
        Encoding = ChunkEncoding.None,
        RawLength = (uint)raw.Length,
        Data = ByteString.CopyFrom(raw),
    };

    private static async Task<Exception> FetchFromFakeAsync(Func<ReadChunksRequest, IEnumerable<ChunkData>> readChunks, params ChunkDigest[] digests)
    {
        await using var server = await FakeRepositoryServer.StartAsync(readChunks);
        var fetcher = new ChunkFetcher(server.Channel, new CallOptions(deadline: DateTime.UtcNow.AddMinutes(1)));
        return await Record.ExceptionAsync(() => fetcher.FetchAsync("main", digests, 1, (in ChunkDigest _, ReadOnlySpan<byte> _) => { }))
            ?? throw new Xunit.Sdk.XunitException("the fetch should have failed");
    }

    [Fact]
    public async Task A_chunk_whose_bytes_do_not_hash_to_its_digest_is_refused_by_name()
    {
        var error = await FetchFromFakeAsync(_ => [Wire(GoodDigest, Other)], GoodDigest);
        var invalid = Assert.IsType<InvalidDataException>(error);
        Assert.Contains(GoodDigest.ToString(), invalid.Message);
        Assert.Contains("failed verification", invalid.Message);
    }

    [Fact]
    public async Task A_raw_chunk_whose_length_is_not_its_claimed_length_is_refused()
    {
        var wire = Wire(GoodDigest, Good);
        wire.RawLength = (uint)Good.Length + 1;
        var error = await FetchFromFakeAsync(_ => [wire], GoodDigest);
        Assert.Contains("stored raw, but claims", Assert.IsType<InvalidDataException>(error).Message);
    }

    [Fact]
    public async Task A_chunk_left_out_is_reported()
    {
        var missing = ChunkDigest.Compute(Other);
        var error = await FetchFromFakeAsync(_ => [Wire(GoodDigest, Good)], GoodDigest, missing);
        Assert.Contains(missing.ToString(), Assert.IsType<InvalidDataException>(error).Message);
    }

    [Fact]
    public async Task A_chunk_not_asked_for_is_refused()
    {
        var error = await FetchFromFakeAsync(_ => [Wire(GoodDigest, Good), Wire(GoodDigest, Good)], GoodDigest);
        Assert.Contains("not asked for or came twice", Assert.IsType<InvalidDataException>(error).Message);
    }

    [Fact]
    public async Task A_digest_the_repository_lacks_is_the_servers_NOT_FOUND()
    {
        await using var daemon = await DaemonFixture.StartAsync();
        var token = await daemon.TenantWithRepositoryAsync("acme", "main", Role.Restore);
        var fetcher = new ChunkFetcher(daemon.Channel, DaemonFixture.As(token));
        var error = await Assert.ThrowsAsync<RpcException>(() => fetcher.FetchAsync("main", [GoodDigest], 1, (in ChunkDigest _, ReadOnlySpan<byte> _) => { }));
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }
}
