using Bunker.Chunking;
using Bunker.Client.Restore;
using Bunker.Index;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;
using Bunker.Server.Tests.Daemon;

namespace Bunker.Server.Tests.Transfer;

/// <summary>ChunkLocator against a daemon: distinct digests in (pack, offset) order, more than one request's worth, unknown digests.</summary>
public sealed class ChunkLocatorTests : IAsyncLifetime
{
    private DaemonFixture _d = null!;
    private Transfers _transfers = null!;

    public async Task InitializeAsync()
    {
        _d = await DaemonFixture.StartAsync();
        _transfers = await Transfers.ForAsync(_d);
    }

    public async Task DisposeAsync() => await _d.DisposeAsync();

    private async Task<Dictionary<ChunkDigest, ChunkLocation>> LocationsAsync(IEnumerable<ChunkDigest> digests)
    {
        var stored = await _d.StoredRepositoryAsync("acme", "main");
        var locations = new Dictionary<ChunkDigest, ChunkLocation>();
        foreach (var digest in digests)
        {
            Assert.True(stored.TryLocate(digest, out var location));
            locations[digest] = location;
        }
        return locations;
    }

    [Fact]
    public async Task Distinct_digests_come_back_in_pack_then_offset_order()
    {
        var chunks = Chunks.Random(40, seed: 41, minSize: 100_000, maxSize: 300_000, compressible: false);
        await _transfers.UploadAsync(chunks);
        var digests = chunks.Select(c => ChunkDigest.Compute(c)).ToList();
        // Reversed and with repeats: the order asked in must not matter, and each chunk comes once.
        var asked = Enumerable.Reverse(digests).Concat(digests.Take(10)).ToList();

        var ordered = await ChunkLocator.OrderByLocalityAsync(_d.Repository(), "main", asked, _transfers.Options);

        Assert.Equal(digests.ToHashSet(), ordered.ToHashSet());
        Assert.Equal(digests.Count, ordered.Length);
        var locations = await LocationsAsync(digests);
        Assert.True(locations.Values.Select(l => l.Pack).Distinct().Count() >= 2, "the test needs chunks in several packs");
        var packsSeen = new HashSet<PackId>();
        for (int i = 0; i < ordered.Length; i++)
        {
            var here = locations[ordered[i]];
            if (i > 0 && locations[ordered[i - 1]].Pack == here.Pack)
                Assert.True(locations[ordered[i - 1]].Offset < here.Offset, "offsets ascend within a pack");
            else
                Assert.True(packsSeen.Add(here.Pack), $"pack {here.Pack} comes back in more than one run");
        }
    }

    [Fact]
    public async Task More_digests_than_one_request_takes_are_located_in_several_requests()
    {
        // Tiny distinct chunks: 70,000 is past the server's 65,536 per request.
        const int count = 70_000;
        await using (var uploader = await _transfers.StartAsync())
        {
            for (int i = 0; i < count; i++)
                await uploader.AddChunkAsync("payload", BitConverter.GetBytes(i));
            await uploader.CommitAsync();
        }
        var digests = new List<ChunkDigest>(count);
        for (int i = 0; i < count; i++) digests.Add(ChunkDigest.Compute(BitConverter.GetBytes(i)));

        var ordered = await ChunkLocator.OrderByLocalityAsync(_d.Repository(), "main", digests, _transfers.Options);

        Assert.Equal(count, ordered.Length);
        Assert.Equal(count, ordered.Distinct().Count());
        var locations = await LocationsAsync(digests);
        for (int i = 1; i < ordered.Length; i++)
        {
            var (previous, here) = (locations[ordered[i - 1]], locations[ordered[i]]);
            if (previous.Pack == here.Pack) Assert.True(previous.Offset < here.Offset);
        }
    }

    [Fact]
    public async Task An_unknown_digest_is_the_servers_NOT_FOUND_and_nothing_is_a_no_op()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            ChunkLocator.OrderByLocalityAsync(_d.Repository(), "main", [ChunkDigest.Compute([1])], _transfers.Options));
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Empty(await ChunkLocator.OrderByLocalityAsync(_d.Repository(), "main", [], _transfers.Options));
    }
}
