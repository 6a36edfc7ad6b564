using System.Text.Json;
using Bunker.Bench.Peers;
using Bunker.Bench.Workloads;
using Bunker.Tests.Shared;

namespace Bunker.Bench.Files;

/// <summary>
/// `files [--data DIR] [--keep] [--runs N] [--tools bunker,restic,borg] [--sources DIR,DIR] [--seed N]
/// [--json FILE] [--bunker PATH] [--bunkerd PATH]`: bunker, restic and borg back up and restore the same real tree
/// (a copy of the .NET install and the system libraries), each through its own CLI. See <see cref="FilesRun"/>.
/// </summary>
internal static class FilesCommand
{
    private static readonly string[] DefaultSources = ["/usr/share/dotnet", "/usr/lib/x86_64-linux-gnu"];
    private static readonly string[] KnownTools = ["bunker", "restic", "borg"];
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        // A file for people and scripts, never embedded in HTML: keep ' and + readable.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static async Task<int> RunAsync(Arguments args)
    {
        var sources = args.Texts("--sources", DefaultSources).Select(Path.GetFullPath).ToArray();
        foreach (var source in sources)
            if (!Directory.Exists(source)) throw new UsageException($"--sources: no directory '{source}'");
        var toolNames = args.Texts("--tools", KnownTools);
        foreach (var name in toolNames)
            if (!KnownTools.Contains(name)) throw new UsageException($"--tools: unknown tool '{name}' (known: {string.Join(", ", KnownTools)})");
        ulong seed = args.Has("--seed") ? (ulong)args.Long("--seed", 1) : TreeModification.DefaultSeed;
        bool keep = args.Has("--keep");
        string json = Path.GetFullPath(args.Text("--json") ?? $"bench-files-{DateTime.Now:yyyyMMdd-HHmmss}.json");
        string log = Path.ChangeExtension(json, ".log");
        foreach (var program in new[] { "restic", "borg" })
            if (toolNames.Contains(program) && !OnPath(program))
                throw new UsageException($"{program} is not on PATH (apt-get install {(program == "borg" ? "borgbackup" : program)}, or leave it out with --tools)");

        int runs = args.Int("--runs", 1);
        string work = WorkDirectory(args.Text("--data"));
        Console.WriteLine($"files: work dir {work}{(keep ? " (kept)" : "")}; tool output in {log}");
        try
        {
            var reports = new List<FilesReport>();
            for (int run = 1; run <= runs; run++)
            {
                // Each run starts again from a fresh copy and empty repositories, in a directory of its own.
                string runWork = runs == 1 ? work : Path.Combine(work, $"run-{run}");
                if (runs > 1)
                    Console.WriteLine($"files: run {run} of {runs}");
                reports.Add(await RunOnceAsync(runWork, log, seed, keep, sources, toolNames, args));
                if (!keep && runs > 1)
                    Directory.Delete(runWork, recursive: true);
            }
            var summary = FilesMedian.Of(reports);
            await File.WriteAllTextAsync(json, JsonSerializer.Serialize(new FilesResult(summary, reports), Json));
            Console.WriteLine();
            Console.Write(FilesTable.Render(summary));
            Console.WriteLine($"raw figures: {json}");
            return summary.Tools.All(t => t.Failure is null && t.Restore is { Ok: true }) ? 0 : 1;
        }
        finally
        {
            if (!keep)
                RemoveWork(work, itself: args.Text("--data") is null);
        }
    }

    private static async Task<FilesReport> RunOnceAsync(string work, string log, ulong seed, bool keep, string[] sources, string[] toolNames, Arguments args)
    {
        var tools = new List<ToolCli>();
        try
        {
            foreach (var name in toolNames)
                tools.Add(Create(name, work, log, args));
            return await new FilesRun(work, log, seed, keep).RunAsync(sources, tools);
        }
        finally
        {
            foreach (var tool in tools)
                await tool.DisposeAsync();
        }
    }

    private static ToolCli Create(string name, string work, string log, Arguments args)
    {
        string directory = Path.Combine(work, name);
        Directory.CreateDirectory(directory);
        switch (name)
        {
            case "bunker":
                DaemonProcess.BunkerdDll = BuiltPrograms.Bunkerd(args.Text("--bunkerd"));
                return new BunkerCli(directory, log, BuiltPrograms.Bunker(args.Text("--bunker")));
            case "restic":
                return new ResticCli(directory, log);
            default:
                // borg 1.2's default compression (lz4), as restic keeps its default.
                return new BorgCli(directory, log, "repokey", compression: null);
        }
    }

    /// <summary>--data DIR (created if absent, refused unless empty: the run deletes what it made there), else a new temporary directory.</summary>
    private static string WorkDirectory(string? data)
    {
        if (data is null)
            return Directory.CreateTempSubdirectory("bunker-bench-files-").FullName;
        string full = Path.GetFullPath(data);
        if (Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any())
            throw new UsageException($"--data: '{full}' is not empty; give a new or empty directory");
        Directory.CreateDirectory(full);
        return full;
    }

    /// <summary>Deletes what the run made; a directory the user named with --data stays, empty.</summary>
    private static void RemoveWork(string work, bool itself)
    {
        if (itself)
        {
            Directory.Delete(work, recursive: true);
            return;
        }
        foreach (var directory in Directory.EnumerateDirectories(work))
            Directory.Delete(directory, recursive: true);
        foreach (var file in Directory.EnumerateFiles(work))
            File.Delete(file);
    }

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, program)));
}
