using Bunker.Chunking;
using Bunker.Client.Vm;

namespace Bunker.Client.Tests.Vm;

/// <summary>vm serve's chunk cache: bounded, one fetch shared by concurrent readers, failures never kept.</summary>
public sealed class ChunkCacheTests
{
    private static ChunkDigest Digest(int i) => ChunkDigest.Compute(BitConverter.GetBytes(i));

    [Fact]
    public async Task It_keeps_at_most_its_capacity_and_drops_the_least_recently_used()
    {
        var cache = new ChunkCache(2);
        int fetches = 0;
        Task<byte[]> Fetch(ChunkDigest d) { Interlocked.Increment(ref fetches); return Task.FromResult(d.ToArray()); }
        await cache.GetAsync(Digest(1), Fetch);
        await cache.GetAsync(Digest(2), Fetch);
        await cache.GetAsync(Digest(1), Fetch);   // 1 is now the most recent
        await cache.GetAsync(Digest(3), Fetch);   // evicts 2
        Assert.Equal(3, fetches);
        await cache.GetAsync(Digest(1), Fetch);
        Assert.Equal(3, fetches);
        await cache.GetAsync(Digest(2), Fetch);
        Assert.Equal(4, fetches);
        Assert.Equal(4, cache.Fetched);
    }

    [Fact]
    public async Task Concurrent_reads_of_one_chunk_share_a_fetch_and_a_failure_is_tried_again()
    {
        var cache = new ChunkCache(4);
        var gate = new TaskCompletionSource<byte[]>();
        int fetches = 0;
        Task<byte[]> Slow(ChunkDigest d) { Interlocked.Increment(ref fetches); return gate.Task; }
        var readers = Enumerable.Range(0, 8).Select(_ => cache.GetAsync(Digest(9), Slow)).ToArray();
        gate.SetResult([1, 2, 3]);
        var results = await Task.WhenAll(readers);
        Assert.Equal(1, fetches);
        Assert.All(results, r => Assert.Equal([1, 2, 3], r));

        int attempts = 0;
        Task<byte[]> Failing(ChunkDigest d) => ++attempts == 1 ? Task.FromException<byte[]>(new IOException("server gone")) : Task.FromResult(new byte[] { 7 });
        await Assert.ThrowsAsync<IOException>(() => cache.GetAsync(Digest(10), Failing));
        Assert.Equal([7], await cache.GetAsync(Digest(10), Failing));
        Assert.Equal(2, attempts);
    }
}
