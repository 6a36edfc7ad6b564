using Bunker.Bench.Measurement;
using Bunker.Bench.Peers;
using Bunker.Bench.Workloads;

namespace Bunker.Bench.Files;

/// <summary>
/// One run of the `files` scenario in a work directory: copy the sources, then every tool does each
/// phase before the next phase starts (initial backup, no-change backup, the 5% change, changed
/// backup, restore), always in the same tool order, so that all of them see the same tree and the
/// same warm page cache. A tool that fails a phase is reported and left out of the later ones.
/// </summary>
internal sealed class FilesRun(string work, string logPath, ulong seed, bool keep)
{
    public const string Initial = "initial backup";
    public const string Unchanged = "no-change backup";
    public const string Changed = "changed backup";
    public const string Restore = "restore";
    public static readonly string[] Phases = [Initial, Unchanged, Changed, Restore];

    private readonly string _tree = Path.Combine(work, "tree");
    private bool _daemonPeakReset = true;

    public async Task<FilesReport> RunAsync(IReadOnlyList<string> sources, IReadOnlyList<ToolCli> tools)
    {
        var started = DateTimeOffset.Now;
        Console.WriteLine($"files: copying {string.Join(" and ", sources)} to {_tree} (cp -a)");
        await CopySourcesAsync(sources);
        var original = TreeManifest.Build(_tree);
        Console.WriteLine($"  data: {original.Describe()}");

        var reports = new List<ToolReport>();
        foreach (var tool in tools)
            reports.Add(await InitAsync(tool));

        await PhaseAsync(Initial, tools, reports, tool => tool.BackupAsync(_tree, "initial"));
        await PhaseAsync(Unchanged, tools, reports, tool => tool.BackupAsync(_tree, "unchanged"));

        var changes = TreeModification.Apply(_tree, seed);
        Console.WriteLine($"  change (seed 0x{seed:X}): {changes.Describe()}");
        await PhaseAsync(Changed, tools, reports, tool => tool.BackupAsync(_tree, "changed"));

        for (int i = 0; i < tools.Count; i++)
        {
            if (reports[i].Failure is not null) continue;
            reports[i].RepositoryBytes = await DiskUsage.AllocatedAsync(tools[i].RepositoryDirectory);
            reports[i].RepositoryApparentBytes = TempDirectory.SizeOf(tools[i].RepositoryDirectory);
            reports[i].RepositoryParts = await DiskUsage.PartsAsync(tools[i].RepositoryDirectory);
        }

        var changed = TreeManifest.Build(_tree);
        Console.WriteLine($"  data after the change: {changed.Describe()}");
        await PhaseAsync(Restore, tools, reports, tool => tool.RestoreLatestAsync(RestoreTarget(tool)));
        for (int i = 0; i < tools.Count; i++)
        {
            if (reports[i].Phase(Restore) is null) continue;
            reports[i].Restore = Check(changed, RestoreTarget(tools[i]));
            Console.WriteLine($"  restore check, {tools[i].Name}: {(reports[i].Restore!.Ok ? "OK" : "FAIL")}");
            if (!keep)
                Directory.Delete(RestoreTarget(tools[i]), recursive: true);
        }

        return new FilesReport(started, MachineDescription.Describe(), sources, work, seed, TreeSummary.Of(original), changes,
            TreeSummary.Of(changed), PageCacheNote, _daemonPeakReset, reports);
    }

    public const string PageCacheNote =
        "warm for every tool: the page cache is not dropped; the tree was just copied and hashed and fits in memory, " +
        "each phase runs for every tool before the next phase, tools always in the order given";

    private async Task CopySourcesAsync(IReadOnlyList<string> sources)
    {
        Directory.CreateDirectory(_tree);
        var copy = new ExternalTool("cp", new Dictionary<string, string?>(), logPath);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            // /usr/share/dotnet becomes tree/dotnet; a second source with the same last name gets a suffix.
            string name = Path.GetFileName(source.TrimEnd('/'));
            for (int n = 2; !names.Add(name); n++)
                name = $"{Path.GetFileName(source.TrimEnd('/'))}-{n}";
            await copy.RunAsync("-a", source, Path.Combine(_tree, name));
        }
    }

    /// <summary>Creates the tool's repository (not timed); a tool that cannot start is reported as failed, and the others go on.</summary>
    private static async Task<ToolReport> InitAsync(ToolCli tool)
    {
        var report = new ToolReport(tool.Name, tool.Settings);
        try
        {
            report.Version = await tool.VersionAsync();
            await tool.InitAsync();
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or TimeoutException or System.ComponentModel.Win32Exception)
        {
            report.Failure = $"init: {e.Message}";
            Console.WriteLine($"  {tool.Name}: init FAILED: {e.Message}");
        }
        return report;
    }

    private async Task PhaseAsync(string phase, IReadOnlyList<ToolCli> tools, List<ToolReport> reports, Func<ToolCli, Task<ToolRun>> body)
    {
        for (int i = 0; i < tools.Count; i++)
        {
            var (tool, report) = (tools[i], reports[i]);
            if (report.Failure is not null) continue;
            TimeSpan daemonCpuBefore = default;
            if (tool.DaemonPid is int pid)
            {
                _daemonPeakReset &= ProcessMemory.TryResetPeak(pid);
                daemonCpuBefore = ProcessCpu.Total(pid);
            }
            try
            {
                var run = await body(tool);
                long? daemonRss = null;
                double? daemonCpu = null;
                if (tool.DaemonPid is int p)
                {
                    daemonRss = ProcessMemory.PeakResident(p);
                    daemonCpu = (ProcessCpu.Total(p) - daemonCpuBefore).TotalSeconds;
                }
                var figures = new PhaseReport(phase, run.Elapsed.TotalSeconds, run.Cpu?.TotalSeconds, daemonCpu, run.PeakRss, daemonRss, ProcessCpu.LoadAverage());
                report.Phases.Add(figures);
                Console.WriteLine($"  {phase}, {tool.Name}: {Units.Seconds(run.Elapsed)} s, client {Cpu(figures.ClientCpuSeconds)} s CPU and {Mebibytes(run.PeakRss)} MiB peak RSS" +
                                  (daemonRss is null ? "" : $", bunkerd {Cpu(daemonCpu)} s CPU and {Mebibytes(daemonRss)} MiB peak RSS") +
                                  $"; load average {figures.LoadAverage:F1}");
            }
            // ArgumentException: bunkerd is gone (no process with its pid), so its figures cannot be read.
            catch (Exception e) when (e is InvalidOperationException or IOException or ArgumentException or System.ComponentModel.Win32Exception)
            {
                report.Failure = $"{phase}: {e.Message}";
                Console.WriteLine($"  {phase}, {tool.Name}: FAILED: {e.Message}");
            }
        }
    }

    private string RestoreTarget(ToolCli tool)
    {
        string target = Path.Combine(work, $"restore-{tool.Name}");
        Directory.CreateDirectory(target);
        return target;
    }

    /// <summary>Compares the restored tree with the source. restic restores below TARGET/&lt;absolute source path&gt;, borg below TARGET/&lt;that path without '/'&gt;; the first of those, TARGET/&lt;source name&gt; and TARGET that exists is the restored root.</summary>
    private RestoreCheck Check(TreeManifest source, string target)
    {
        string[] candidates = [Path.Combine(target, _tree.TrimStart('/')), Path.Combine(target, Path.GetFileName(_tree)), target];
        string root = candidates.First(Directory.Exists);
        var restored = TreeManifest.Build(root);
        var (listed, count) = source.Differences(restored);
        return new RestoreCheck(count == 0 && restored.Digest == source.Digest, root, TreeSummary.Of(restored), count, listed);
    }

    private static string Cpu(double? seconds) => seconds is double s ? s.ToString("F2", System.Globalization.CultureInfo.InvariantCulture) : "?";

    private static string Mebibytes(long? bytes) => bytes is long b ? Units.Mebibytes(b) : "?";
}
