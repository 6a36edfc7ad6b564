using System.Buffers.Binary;
using Bunker.Chunking;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;
using Google.Protobuf;

namespace Bunker.Server.Tests.Daemon;

/// <summary>LocateChunks: locality keys that group a pack's chunks and order them by offset, with ReadChunks' limits, roles and tenancy.</summary>
public sealed class LocateChunksTests : IAsyncLifetime
{
    private DaemonFixture _d = null!;
    private string _acme = null!;
    private string _globex = null!;

    public async Task InitializeAsync()
    {
        _d = await DaemonFixture.StartAsync();
        _acme = await _d.TenantWithRepositoryAsync("acme", "main", Role.Backup, Role.Restore);
        _globex = await _d.TenantWithRepositoryAsync("globex", "vault", Role.Backup, Role.Restore);
    }

    public async Task DisposeAsync() => await _d.DisposeAsync();

    private async Task<List<byte[]>> BackupAsync(string token, string repository, int count, int seed)
    {
        // Incompressible, so that a few dozen chunks fill several 4 MiB packs.
        var chunks = Chunks.Random(count, seed, minSize: 100_000, maxSize: 300_000, compressible: false);
        await using var session = await SessionDriver.StartAsync(_d.Repository(), DaemonFixture.As(token), repository);
        await session.AddArchiveAsync("payload", chunks);
        await session.CommitAsync();
        return chunks;
    }

    private static LocateChunksRequest Request(string repository, IEnumerable<ChunkDigest> digests)
    {
        var packed = new MemoryStream();
        foreach (var digest in digests) packed.Write(digest.ToArray());
        return new LocateChunksRequest { Repository = repository, Digests = ByteString.CopyFrom(packed.ToArray()) };
    }

    private async Task<ulong[]> LocateAsync(string token, string repository, IReadOnlyList<ChunkDigest> digests)
    {
        var response = await _d.Repository().LocateChunksAsync(Request(repository, digests), DaemonFixture.As(token));
        Assert.Equal(digests.Count * 8, response.Keys.Length);
        var keys = new ulong[digests.Count];
        for (int i = 0; i < keys.Length; i++) keys[i] = BinaryPrimitives.ReadUInt64LittleEndian(response.Keys.Span[(i * 8)..]);
        return keys;
    }

    private async Task<Status> StatusOfLocate(string token, LocateChunksRequest request)
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => _d.Repository().LocateChunksAsync(request, DaemonFixture.As(token)).ResponseAsync);
        return e.Status;
    }

    [Fact]
    public async Task Keys_put_one_packs_chunks_together_in_offset_order()
    {
        var chunks = await BackupAsync(_acme, "main", 40, seed: 31);
        var digests = chunks.Select(c => ChunkDigest.Compute(c)).ToList();
        digests.Add(digests[5]); // a repeat gets its key again
        var keys = await LocateAsync(_acme, "main", digests);
        Assert.Equal(keys[5], keys[^1]);

        var stored = await _d.StoredRepositoryAsync("acme", "main");
        var locations = digests.Select(d => { Assert.True(stored.TryLocate(d, out var l)); return l; }).ToList();
        Assert.True(locations.Select(l => l.Pack).Distinct().Count() >= 2, "the test needs chunks in several packs");
        for (int i = 0; i < digests.Count; i++)
        {
            Assert.Equal(locations[i].Offset, (uint)keys[i]);
            for (int j = 0; j < digests.Count; j++)
            {
                bool samePack = locations[i].Pack == locations[j].Pack;
                Assert.Equal(samePack, keys[i] >> 32 == keys[j] >> 32);
                if (samePack) Assert.Equal(locations[i].Offset.CompareTo(locations[j].Offset), keys[i].CompareTo(keys[j]));
            }
        }
    }

    [Fact]
    public async Task A_chunk_still_in_an_open_pack_is_located()
    {
        var chunk = Chunks.Random(1, seed: 32)[0];
        var digest = ChunkDigest.Compute(chunk);
        await using var session = await SessionDriver.StartAsync(_d.Repository(), DaemonFixture.As(_acme), "main");
        await session.PutAsync(chunk);
        // Requests are handled in order: once the offer is answered, the put has been stored (in an open pack).
        Assert.False(Assert.Single(await session.OfferAsync([digest])));

        var key = Assert.Single(await LocateAsync(_acme, "main", [digest]));
        var stored = await _d.StoredRepositoryAsync("acme", "main");
        Assert.True(stored.TryLocate(digest, out var location), "locating flushes the open pack into the index");
        Assert.Equal(location.Offset, (uint)key);
    }

    [Fact]
    public async Task Another_tenants_chunk_is_not_found_in_the_same_words_as_a_missing_one()
    {
        var mine = await BackupAsync(_acme, "main", 2, seed: 33);
        var theirs = ChunkDigest.Compute((await BackupAsync(_globex, "vault", 2, seed: 34))[0]);
        var random = ChunkDigest.Compute([4, 5, 6]);

        var locateTheirs = await StatusOfLocate(_acme, Request("main", [ChunkDigest.Compute(mine[0]), theirs]));
        var locateRandom = await StatusOfLocate(_acme, Request("main", [random]));
        Assert.Equal(StatusCode.NotFound, locateTheirs.StatusCode);
        Assert.Equal($"chunk {theirs} not found", locateTheirs.Detail);
        Assert.Equal(locateRandom.Detail.Replace(random.ToString(), "X"), locateTheirs.Detail.Replace(theirs.ToString(), "X"));
        var read = await Assert.ThrowsAsync<RpcException>(() => SessionDriver.ReadBackAsync(_d.Repository(), DaemonFixture.As(_acme), "main", [theirs]));
        Assert.Equal(read.Status, locateTheirs);

        var otherRepository = await StatusOfLocate(_acme, Request("vault", [theirs]));
        var noRepository = await StatusOfLocate(_acme, Request("zzzzz", [theirs]));
        Assert.Equal(StatusCode.NotFound, otherRepository.StatusCode);
        Assert.Equal(noRepository.Detail.Replace("zzzzz", "vault"), otherRepository.Detail);
    }

    [Fact]
    public async Task Malformed_and_oversized_digest_lists_are_invalid_arguments()
    {
        var odd = await StatusOfLocate(_acme, new LocateChunksRequest { Repository = "main", Digests = ByteString.CopyFrom(new byte[40]) });
        Assert.Equal(StatusCode.InvalidArgument, odd.StatusCode);
        Assert.Contains("40 bytes is not a whole number of 32-byte digests", odd.Detail);

        var tooMany = await StatusOfLocate(_acme, new LocateChunksRequest { Repository = "main", Digests = ByteString.CopyFrom(new byte[32 * 65_537]) });
        Assert.Equal(StatusCode.InvalidArgument, tooMany.StatusCode);
        Assert.Contains("65537 digests in one message; the most is 65536", tooMany.Detail);

        // At the limit the list is taken, and the (all-zero, unknown) digests are looked up.
        var atLimit = await StatusOfLocate(_acme, new LocateChunksRequest { Repository = "main", Digests = ByteString.CopyFrom(new byte[32 * 65_536]) });
        Assert.Equal(StatusCode.NotFound, atLimit.StatusCode);

        Assert.Empty(await LocateAsync(_acme, "main", []));
    }

    [Fact]
    public async Task Every_reading_role_may_locate_and_a_tenant_admin_may_not()
    {
        var digest = ChunkDigest.Compute((await BackupAsync(_acme, "main", 1, seed: 35))[0]);
        foreach (var role in new[] { Role.Restore, Role.Backup, Role.Operator })
            Assert.Single(await LocateAsync(await _d.TokenAsync("acme", "main", role), "main", [digest]));

        var admin = await StatusOfLocate(await _d.TokenAsync("acme", null, Role.Admin), Request("main", [digest]));
        Assert.Equal(StatusCode.PermissionDenied, admin.StatusCode);
        Assert.StartsWith("locating chunks needs the restore or backup or operator role", admin.Detail);
    }
}
