using Xunit.Abstractions;
using Bunker.Chunking;

namespace Bunker.Index.Tests;

/// <summary>Runs alone, so other tests' allocations do not show up in this process's RSS.</summary>
[CollectionDefinition(nameof(MemoryBound), DisableParallelization = true)]
public sealed class MemoryBound;

[Collection(nameof(MemoryBound))]
public sealed class MemoryBoundTests(ITestOutputHelper output)
{
    private const long BlockCache = 16L << 20;
    private const long WriteBuffer = 8L << 20;
    private const int MemtablesPerFamily = 2; // RocksDbSettings.MaxWriteBufferNumber
    private const long Slack = 64L << 20;
    private const int Total = 1_500_000, Checkpoint = 300_000, BatchSize = 10_000, LookupsPerBatch = 2_000;

    [Fact]
    public void RssStaysFlatAsTheChunkIndexGrows()
    {
        using var t = new TestIndex(BlockCache, WriteBuffer);
        var repo = RepositoryId.New();
        var random = new Random(12345);
        var digests = new ChunkDigest[LookupsPerBatch];
        var locations = new ChunkLocation[LookupsPerBatch];
        var found = new bool[LookupsPerBatch];
        long rssAtCheckpoint = 0;

        for (int start = 0; start < Total; start += BatchSize)
        {
            using (var batch = t.Index.CreateBatch())
            {
                for (int i = start; i < start + BatchSize; i++)
                    batch.PutChunk(repo, Data.Digest(i), Data.Location(i));
                t.Index.Write(batch, sync: false);
            }

            // Half the lookups hit entries written so far, half miss (the dedup query's mix).
            int written = start + BatchSize;
            for (int i = 0; i < LookupsPerBatch; i++)
                digests[i] = i % 2 == 0 ? Data.Digest(random.Next(written)) : Data.Digest(Total + random.Next(Total));
            t.Index.Chunks.MultiGet(repo, digests, locations, found);
            for (int i = 0; i < LookupsPerBatch; i++)
                Assert.Equal(i % 2 == 0, found[i]);

            if (written == Checkpoint)
                rssAtCheckpoint = Rss();
        }
        long rssAtEnd = Rss();

        var chunks = t.Index.Database.GetColumnFamily(ChunkIndex.FamilyName);
        long tableReaders = long.Parse(t.Index.Database.GetProperty(chunks, "rocksdb.estimate-table-readers-mem") ?? "-1");
        long growthBound = BlockCache + WriteBuffer * MemtablesPerFamily + Slack;
        output.WriteLine($"RSS at {Checkpoint:N0}: {rssAtCheckpoint >> 20} MiB; at {Total:N0}: {rssAtEnd >> 20} MiB; " +
                         $"bound on growth {growthBound >> 20} MiB; block cache {t.Index.BlockCacheUsage >> 20} MiB; " +
                         $"table readers outside the cache {tableReaders >> 10} KiB");

        Assert.InRange(rssAtEnd - rssAtCheckpoint, long.MinValue, growthBound);
        // Index and filter blocks are charged to the block cache, not kept per open table.
        Assert.InRange(tableReaders, 0, 1L << 20);
        Assert.InRange(t.Index.BlockCacheUsage, 1, BlockCache + (4L << 20));
    }

    private static long Rss()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0]) * 1024;
        }
        throw new InvalidOperationException("no VmRSS in /proc/self/status");
    }
}
