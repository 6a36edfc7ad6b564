using Bunker.Client.Restore;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;
using Bunker.Server.Tests.Daemon;

namespace Bunker.Server.Tests.Transfer;

/// <summary>An archive read as a stream: in archive order across batches, repeats included, windows of chunks, and errors surfacing from Read.</summary>
public sealed class ArchiveReaderTests : IAsyncLifetime
{
    private DaemonFixture _d = null!;
    private Transfers _t = null!;

    public async Task InitializeAsync()
    {
        _d = await DaemonFixture.StartAsync();
        _t = await Transfers.ForAsync(_d);
    }

    public async Task DisposeAsync() => await _d.DisposeAsync();

    private async Task<byte[]> ReadAllAsync(SnapshotInfo snapshot, long first = 0, long count = -1, bool sync = false, int parallel = 1)
    {
        await using var reader = ArchiveReader.Open(_d.Repository(), "main", snapshot.Id, "payload", _t.Options, first, count, parallel);
        var output = new MemoryStream();
        if (sync) reader.CopyTo(output, 1000);
        else await reader.CopyToAsync(output, 777);
        return output.ToArray();
    }

    [Fact]
    public async Task The_stream_is_the_archive_byte_for_byte_in_order_across_batches_with_repeats()
    {
        // ~200 chunks of up to 200 KB: several 16 MiB batches, and repeats both inside one batch and across batches.
        var chunks = Chunks.Random(200, seed: 31);
        for (int i = 0; i < 200; i += 7) chunks.Insert(i, chunks[(i * 13) % chunks.Count]);
        var (snapshot, _) = await _t.UploadAsync(chunks);
        Assert.Equal(Transfers.Concat(chunks), await ReadAllAsync(snapshot));
        Assert.Equal(Transfers.Concat(chunks), await ReadAllAsync(snapshot, sync: true));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(8)]
    public async Task Parallel_batches_are_handed_out_in_archive_order(int parallel)
    {
        // Small chunks make many batches (1024 entries each), so several are in flight at once and finish out of order.
        var chunks = Chunks.Random(5000, seed: 35, minSize: 100, maxSize: 300);
        for (int i = 0; i < 5000; i += 11) chunks.Insert(i, chunks[(i * 17) % chunks.Count]);
        var (snapshot, _) = await _t.UploadAsync(chunks);
        Assert.Equal(Transfers.Concat(chunks), await ReadAllAsync(snapshot, parallel: parallel));
        Assert.Equal(Transfers.Concat(chunks.GetRange(1500, 2100)), await ReadAllAsync(snapshot, 1500, 2100, parallel: parallel));
    }

    [Fact]
    public async Task A_window_of_chunks_reads_only_those()
    {
        var chunks = Chunks.Random(20, seed: 32);
        var (snapshot, _) = await _t.UploadAsync(chunks);
        Assert.Equal(Transfers.Concat(chunks.GetRange(5, 3)), await ReadAllAsync(snapshot, 5, 3));
        Assert.Equal(Transfers.Concat(chunks.GetRange(18, 2)), await ReadAllAsync(snapshot, 18));
        Assert.Empty(await ReadAllAsync(snapshot, 20, 0));
        var beyond = await Assert.ThrowsAsync<InvalidDataException>(() => ReadAllAsync(snapshot, 18, 5));
        Assert.Contains("holds 20 chunks", beyond.Message);
    }

    [Fact]
    public async Task An_unknown_archive_fails_the_read_with_the_servers_status()
    {
        var (snapshot, _) = await _t.UploadAsync(Chunks.Random(2, seed: 33));
        await using var reader = ArchiveReader.Open(_d.Repository(), "main", snapshot.Id, "nope", _t.Options);
        var error = await Assert.ThrowsAsync<RpcException>(async () => await reader.ReadExactlyAsync(new byte[10]));
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task Disposing_a_reader_halfway_stops_it()
    {
        var chunks = Chunks.Random(150, seed: 34);
        var (snapshot, _) = await _t.UploadAsync(chunks);
        var reader = ArchiveReader.Open(_d.Repository(), "main", snapshot.Id, "payload", _t.Options);
        var first = new byte[100];
        await reader.ReadExactlyAsync(first);
        Assert.Equal(chunks[0].AsSpan(0, 100).ToArray(), first);
        await reader.DisposeAsync();
    }
}
