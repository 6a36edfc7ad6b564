using Bunker.Tests.Shared;
using System.Diagnostics;
using Bunker.Bench.Measurement;
using Bunker.Bench.Workloads;
using Bunker.Chunking;
using Bunker.Chunking.Compression;

namespace Bunker.Bench.Loopback;

/// <summary>
/// `loopback [--size GiB] [--streams 1,4,16] [--iterations K]`: a real bunkerd process and this
/// process as its client over 127.0.0.1 — upload new data, upload it again (all dedup), restore it
/// over N streams — with both processes' memory per phase.
/// </summary>
internal static class LoopbackCommand
{
    private const ulong Seed = 0x4C6F6F706261636BUL; // "Loopback"
    private const int MixedMaxMiB = 512;
    private const long ClientAloneMaxBytes = 1L << 30;

    public static async Task<int> RunAsync(Arguments args)
    {
        long size = args.Long("--size", 2) << 30;
        int[] streamCounts = args.Ints("--streams", [1, 4, 16]);
        int iterations = args.Int("--iterations", 3);
        DaemonProcess.BunkerdDll = BuiltPrograms.Bunkerd(args.Text("--bunkerd"));

        using var work = new TempDirectory("loopback");
        await using var server = await DaemonProcess.StartAsync(work.Sub("data"));
        using var client = await LoopbackClient.ConnectAsync(server);
        bool peaksReset = ProcessMemory.TryResetPeak(server.Pid) && ProcessMemory.TryResetPeak();
        Console.WriteLine($"loopback: {Units.Megabytes(size)} MB of SplitMix64 data (incompressible), FastCDC 512 KiB/1 MiB/8 MiB, " +
                          $"bunkerd pid {server.Pid} on {server.Address}, data in {work.Path}; median of {iterations} runs per row; " +
                          $"{Environment.ProcessorCount} cores shared by both processes; zstd {ChunkCompressor.NativeVersion}");
        PrintClientAlone(Math.Min(size, ClientAloneMaxBytes));

        var table = new TextTable("phase", "MB", "s", "MB/s", "chunks on wire", "wire MB", "bunkerd HWM MiB", "bunkerd RSS MiB", "bench HWM MiB");
        var runner = new PhaseRunner(server.Pid, table);

        // (a) New data: every run into a repository of its own, so that each stores everything.
        var firsts = await runner.RunAsync("upload, new data", iterations, async i =>
        {
            string repository = $"new-{i}";
            await client.CreateRepositoryAsync(repository);
            var run = await client.UploadAsync(repository, new PseudoRandomStream(size, Seed));
            return (run, Upload(run));
        });
        string stored = "new-0";
        var snapshot = firsts[0].Snapshot;

        // (b) The same bytes again into the first repository: the server has every chunk.
        await runner.RunAsync("upload again, all dedup", iterations, async _ =>
        {
            var run = await client.UploadAsync(stored, new PseudoRandomStream(size, Seed));
            return (run, Upload(run));
        });

        // (c) Restore of the first snapshot.
        foreach (int streams in streamCounts)
        {
            await runner.RunAsync($"restore, {streams} stream{(streams == 1 ? "" : "s")}", iterations, async _ =>
            {
                var run = await client.RestoreAsync(stored, snapshot, streams);
                return (run, new Measured(run.Elapsed, run.Statistics.RawBytes, run.Statistics.Chunks, run.Statistics.EncodedBytes));
            });
        }

        // (d) A compressible corpus (real DLLs and random bytes in 8 MiB blocks), held in memory.
        int mixedMiB = (int)Math.Min(MixedMaxMiB, size >> 20);
        var mixed = MixedSample.Create(mixedMiB);
        await runner.RunAsync($"upload, mixed corpus ({mixedMiB} MiB in memory)", iterations, async i =>
        {
            string repository = $"mixed-{i}";
            await client.CreateRepositoryAsync(repository);
            var run = await client.UploadAsync(repository, new MemoryStream(mixed, writable: false));
            return (run, Upload(run));
        });

        Console.WriteLine();
        Console.Write(table);
        Console.WriteLine("MB/s is archive bytes per wall-clock second. 'chunks on wire' and 'wire MB' count chunk data only: puts for an upload " +
                          "(zstd-3, or raw where it saves < 2%), ReadChunks answers for a restore.");
        Console.WriteLine(peaksReset
            ? "HWM is VmHWM over the row's runs (reset through /proc/PID/clear_refs before each row); bunkerd RSS is VmRSS after the row."
            : "HWM could not be reset (/proc/PID/clear_refs refused): it is the peak since each process started.");
        Console.WriteLine($"bunkerd data directory at the end: {Units.Megabytes(TempDirectory.SizeOf(server.Data))} MB");
        return 0;
    }

    private static Measured Upload(UploadRun run) =>
        new(run.Elapsed, run.Statistics.RawBytesAdded, run.Statistics.ChunksUploaded, run.Statistics.EncodedBytesSent);

    /// <summary>What this process alone does per byte of an upload, one thread: the client's share of the CPU.</summary>
    private static void PrintClientAlone(long bytes)
    {
        long began = Stopwatch.GetTimestamp();
        using (var source = new PseudoRandomStream(bytes, Seed))
        {
            var buffer = new byte[1 << 20];
            while (source.Read(buffer) > 0) { }
        }
        var generate = Stopwatch.GetElapsedTime(began);

        began = Stopwatch.GetTimestamp();
        using (var chunker = new StreamChunker(new PseudoRandomStream(bytes, Seed), new FastCdcChunker()))
        {
            while (chunker.MoveNext())
                ChunkDigest.Compute(chunker.Current.Span);
        }
        var cutAndHash = Stopwatch.GetElapsedTime(began);
        Console.WriteLine($"client alone, 1 thread, {Units.Megabytes(bytes)} MB: generating {Units.Rate(bytes, generate)} MB/s; " +
                          $"generating + FastCDC + SHA-256 {Units.Rate(bytes, cutAndHash)} MB/s (the upload rows include both)");
    }
}
