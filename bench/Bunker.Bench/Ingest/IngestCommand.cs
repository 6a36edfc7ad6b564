using System.Diagnostics;
using Bunker.Bench.Measurement;
using Bunker.Bench.Workloads;

namespace Bunker.Bench.Ingest;

/// <summary>
/// `ingest DIR [--threads N] [--iterations K]`: the whole write path over a directory, each run on
/// a fresh repository, compared with zstd alone on the same chunks.
/// </summary>
internal static class IngestCommand
{
    // The goal the pipeline is held to: single-threaded, at least this share of zstd-3's own speed.
    private const double TargetShareOfZstd = 0.70;

    public static async Task<int> RunAsync(Arguments args)
    {
        var tree = SourceTree.Scan(args.Positional(0, "DIR"));
        int[] threadCounts = args.Has("--threads") ? [args.Int("--threads", 1)] : [1, 2];
        int iterations = args.Int("--iterations", 3);
        Console.WriteLine($"ingest: {tree.Root}, {tree.Files.Count} files, {Units.Megabytes(tree.TotalBytes)} MB; " +
                          $"{Sampler.DefaultWarmups} warm-up + median of {iterations} runs, each on a fresh repository in {Path.GetTempPath()}");

        using var keys = new BenchKeys();
        var medians = new List<IngestResult>();
        foreach (int threads in threadCounts)
        {
            var runs = new List<IngestResult>();
            for (int i = 0; i < Sampler.DefaultWarmups + iterations; i++)
            {
                using var repositoryDir = new TempDirectory("ingest");
                var result = await BunkerBackup.RunAsync(repositoryDir.Path, tree, threads, keys.Master);
                if (i >= Sampler.DefaultWarmups)
                    runs.Add(result);
            }
            medians.Add(Sampler.MedianBy(runs, r => r.Elapsed));
        }
        PrintRuns(medians);

        var zstd = MedianZstdAlone(tree, iterations);
        PrintComparison(medians, tree.TotalBytes, zstd);
        Console.WriteLine($"peak RSS (VmHWM) of this process: {ProcessMemory.Describe(ProcessMemory.PeakResident())}");
        return 0;
    }

    private static ZstdAlone.Timing MedianZstdAlone(SourceTree tree, int iterations)
    {
        for (int i = 0; i < Sampler.DefaultWarmups; i++)
            ZstdAlone.Measure(tree);
        var samples = Enumerable.Range(0, iterations).Select(_ => ZstdAlone.Measure(tree)).ToList();
        return Sampler.MedianBy(samples, t => t.AllChunks);
    }

    internal static void PrintRuns(IEnumerable<IngestResult> results)
    {
        var table = new TextTable("threads", "input MB", "wall s", "MB/s", "chunks", "new chunks", "dedup", "repo MB",
            "read+cut s", "hash s", "put s", "commit s");
        foreach (var r in results)
        {
            var w = r.Workers;
            table.Add(r.Threads.ToString(), Units.Megabytes(r.InputBytes), Units.Seconds(r.Elapsed), Units.Rate(r.InputBytes, r.Elapsed),
                w.Chunks.ToString(), w.NewChunks.ToString(), r.DedupRatio.ToString("F2"), Units.Megabytes(r.RepositoryBytes),
                Seconds(w.ReadAndChunkTicks), Seconds(w.HashTicks), Seconds(w.PutTicks), Units.Seconds(r.CommitElapsed));
        }
        Console.WriteLine();
        Console.Write(table);
        Console.WriteLine("(read+cut, hash and put are thread-seconds summed over workers; put = Repository.PutAsync: re-hash, dedup look-up, zstd, AES-GCM, pack, store, index)");
    }

    private static string Seconds(long ticks) => Units.Seconds(Stopwatch.GetElapsedTime(0, ticks));

    private static void PrintComparison(List<IngestResult> medians, long inputBytes, ZstdAlone.Timing zstd)
    {
        // Both yardsticks are expressed per byte of input, like the pipeline's MB/s: the second
        // charges only the compression the pipeline really has to do (first occurrences).
        double allRate = Units.MegabytesPerSecond(inputBytes, zstd.AllChunks);
        double uniqueRate = Units.MegabytesPerSecond(inputBytes, zstd.UniqueChunks);
        Console.WriteLine($"\nzstd-3 alone, 1 thread, same chunks (compress calls only): {allRate:F1} MB/s ({Units.Seconds(zstd.AllChunks)} s for all {Units.Megabytes(inputBytes)} MB)");
        Console.WriteLine($"zstd-3 alone on unique chunks only ({Units.Megabytes(zstd.UniqueBytes)} MB): {Units.Seconds(zstd.UniqueChunks)} s = {uniqueRate:F1} MB/s of input");
        var single = medians.FirstOrDefault(r => r.Threads == 1);
        if (single is not null)
        {
            double pipeline = Units.MegabytesPerSecond(single.InputBytes, single.Elapsed);
            Console.WriteLine($"pipeline 1 thread / zstd alone (all chunks): {Share(pipeline / allRate)}");
            Console.WriteLine($"pipeline 1 thread / zstd alone (unique chunks, like for like): {Share(pipeline / uniqueRate)}");
        }
        var two = medians.FirstOrDefault(r => r.Threads == 2);
        if (single is not null && two is not null)
            Console.WriteLine($"2 threads / 1 thread: {single.Elapsed / two.Elapsed:F2}x");
    }

    private static string Share(double share) =>
        $"{share * 100:F1}% (target >= {TargetShareOfZstd * 100:F0}%: " +
        (share >= TargetShareOfZstd ? "met)" : $"missed by {(TargetShareOfZstd - share) * 100:F1} points)");
}
