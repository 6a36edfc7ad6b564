using System.Diagnostics;
using Bunker.Bench.Measurement;
using Bunker.Bench.Workloads;

namespace Bunker.Bench.Peers;

/// <summary>
/// `peers DIR`: Bunker, restic and borg back up the same directory, each into a fresh repository,
/// timed wall-clock end to end; then each backs it up a second time (everything deduplicates).
/// </summary>
internal static class PeersCommand
{
    public static async Task<int> RunAsync(Arguments args)
    {
        var tree = SourceTree.Scan(args.Positional(0, "DIR"));
        using var work = new TempDirectory("peers");
        string log = work.Sub("tools.log");
        using var keys = new BenchKeys();
        Contender[] contenders =
        [
            new BunkerContender(1, keys.Master),
            new BunkerContender(2, keys.Master),
            CliContender.Restic(log),
            CliContender.Borg("lz4", log),
            CliContender.Borg("zstd,3", log),
        ];

        string? dropRefused = PageCache.TryDrop();
        Console.WriteLine($"peers: {tree.Root}, {tree.Files.Count} files, {Units.Megabytes(tree.TotalBytes)} MB; one run each, fresh repository each; " +
                          (dropRefused is null ? "page cache dropped (sync; echo 3 > /proc/sys/vm/drop_caches) before every backup"
                                               : $"page cache NOT dropped ({dropRefused}): warm-cache reads"));

        var table = new TextTable("tool", "1st s", "1st MB/s", "repo MB", "peak RSS MiB", "2nd s", "2nd MB/s", "repo MB after 2nd");
        foreach (var contender in contenders)
        {
            string repository = work.Sub(DirectoryName(contender.Name));
            Directory.CreateDirectory(repository);
            await contender.InitAsync(repository);
            var (first, rss) = await TimedBackupAsync(contender, repository, tree, 1, dropRefused is null);
            long sizeAfterFirst = TempDirectory.SizeOf(repository);
            var (second, _) = await TimedBackupAsync(contender, repository, tree, 2, dropRefused is null);
            table.Add(contender.Name, Units.Seconds(first), Units.Rate(tree.TotalBytes, first), Units.Megabytes(sizeAfterFirst),
                rss is long bytes ? Units.Mebibytes(bytes) : "in-process",
                Units.Seconds(second), Units.Rate(tree.TotalBytes, second), Units.Megabytes(TempDirectory.SizeOf(repository)));
            Console.WriteLine($"  done: {contender.Name}");
            Directory.Delete(repository, recursive: true);
        }
        Console.WriteLine();
        Console.Write(table);
        Console.WriteLine($"repo MB counts every file in the tool's work dir (bunker: store + RocksDB index; restic/borg: repository + cache). " +
                          $"Bench process peak RSS (VmHWM, covers the bunker runs): {ProcessMemory.Describe(ProcessMemory.PeakResident())}");
        return 0;
    }

    /// <summary>"borg (zstd,3)" becomes "borg-zstd-3".</summary>
    private static string DirectoryName(string contender) =>
        string.Join('-', contender.Split([' ', '(', ')', ','], StringSplitOptions.RemoveEmptyEntries));

    private static async Task<(TimeSpan Elapsed, long? PeakRss)> TimedBackupAsync(Contender contender, string repository, SourceTree tree, int run, bool dropCache)
    {
        if (dropCache)
            PageCache.TryDrop();
        long start = Stopwatch.GetTimestamp();
        long? rss = await contender.BackupAsync(repository, tree, run);
        return (Stopwatch.GetElapsedTime(start), rss);
    }
}
