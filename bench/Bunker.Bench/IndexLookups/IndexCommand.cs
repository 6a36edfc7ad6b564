using System.Diagnostics;
using Bunker.Bench.Measurement;
using Bunker.Bench.Workloads;
using Bunker.Chunking;
using Bunker.Index;

namespace Bunker.Bench.IndexLookups;

/// <summary>
/// `index --chunks N`: fills a fresh index with N chunk entries, then times MultiGet in the shape
/// the server uses it (batches of 4096 offered digests, half of them already stored), and
/// reports RSS, which invariant 5 says must not grow with N.
/// </summary>
internal static class IndexCommand
{
    private const int FillBatch = 10_000;
    private const int LookupBatch = 4096;
    private const int BatchesPerIteration = 100;
    private const long BlockCacheBytes = 64L << 20;

    public static int Run(Arguments args)
    {
        long chunks = args.Long("--chunks", 1_000_000);
        using var temp = new TempDirectory("index");
        using var index = BunkerIndex.Open(new IndexOptions { Path = temp.Path, BlockCacheBytes = BlockCacheBytes });
        var repository = RepositoryId.New();
        Console.WriteLine($"index: {chunks} entries into a fresh index at {temp.Path}, block cache {BlockCacheBytes >> 20} MiB; " +
                          $"RSS at start {ProcessMemory.Describe(ProcessMemory.Resident())}");

        var fill = Fill(index, repository, chunks);
        long rssAfterFill = ProcessMemory.Resident();
        Console.WriteLine($"fill: {Units.Seconds(fill)} s, {chunks / fill.TotalSeconds:F0} entries/s (WriteBatch of {FillBatch}, synced); " +
                          $"RSS after fill {ProcessMemory.Describe(rssAfterFill)}; on disk {Units.Megabytes(TempDirectory.SizeOf(temp.Path))} MB");

        var lookups = new LookupWorkload(index, repository, chunks);
        var time = Sampler.Median(() => lookups.Run(BatchesPerIteration));
        long perIteration = (long)BatchesPerIteration * LookupBatch;
        Console.WriteLine($"MultiGet: {perIteration / time.TotalSeconds:F0} lookups/s (batches of {LookupBatch}, 50% present, " +
                          $"{Sampler.DefaultWarmups} warm-up + median of {Sampler.DefaultIterations} x {perIteration} lookups); " +
                          $"RSS after lookups {ProcessMemory.Describe(ProcessMemory.Resident())}; block cache in use {ProcessMemory.Describe(index.BlockCacheUsage)}");
        return 0;
    }

    private static TimeSpan Fill(BunkerIndex index, RepositoryId repository, long chunks)
    {
        long start = Stopwatch.GetTimestamp();
        for (long at = 0; at < chunks; at += FillBatch)
        {
            using var batch = index.CreateBatch();
            for (long n = at; n < Math.Min(at + FillBatch, chunks); n++)
                batch.PutChunk(repository, SyntheticDigests.Get(n), SyntheticDigests.Location(n));
            index.Write(batch, sync: true);
        }
        return Stopwatch.GetElapsedTime(start);
    }

    /// <summary>Random batches: even slots name stored entries, odd slots entries never stored.</summary>
    private sealed class LookupWorkload(BunkerIndex index, RepositoryId repository, long stored)
    {
        private readonly ChunkDigest[] _digests = new ChunkDigest[LookupBatch];
        private readonly ChunkLocation[] _locations = new ChunkLocation[LookupBatch];
        private readonly bool[] _found = new bool[LookupBatch];
        private readonly Random _random = new(42);

        public void Run(int batches)
        {
            for (int b = 0; b < batches; b++)
            {
                for (int i = 0; i < LookupBatch; i++)
                {
                    long n = _random.NextInt64(stored);
                    _digests[i] = SyntheticDigests.Get(i % 2 == 0 ? n : stored + n);
                }
                index.Chunks.MultiGet(repository, _digests, _locations, _found);
                int present = _found.Count(f => f);
                if (present != LookupBatch / 2)
                    throw new InvalidOperationException($"expected {LookupBatch / 2} present, MultiGet found {present}");
            }
        }
    }
}
