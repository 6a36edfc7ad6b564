using System.Globalization;
using System.Text;
using Bunker.Bench.Measurement;

namespace Bunker.Bench.Files;

/// <summary>
/// The `files` result as text: one table (rows: phases, repository size, peak RSS, restore check;
/// columns: the tools and bunker/restic), then what the figures mean and how each tool was set up.
/// </summary>
internal static class FilesTable
{
    private const string Missing = "-";

    public static string Render(FilesReport report)
    {
        var tools = report.Tools;
        var bunker = Find(tools, "bunker");
        var restic = Find(tools, "restic");
        bool ratio = bunker is not null && restic is not null;

        string[] headers = [.. new[] { "" }.Concat(tools.Select(t => t.Name)).Concat(ratio ? ["bunker/restic"] : [])];
        var table = new TextTable(headers);
        void Row(string label, Func<ToolReport, double?> value, string format)
        {
            var cells = new List<string> { label };
            foreach (var tool in tools)
                cells.Add(value(tool) is double v ? v.ToString(format, CultureInfo.InvariantCulture) : tool.Failure is null ? Missing : "FAILED");
            if (ratio)
                cells.Add(value(bunker!) is double b && value(restic!) is double r && r > 0 ? (b / r).ToString("F2", CultureInfo.InvariantCulture) : Missing);
            table.Add([.. cells]);
        }

        foreach (var phase in FilesRun.Phases)
            Row($"{phase}, s", t => t.Phase(phase)?.Seconds, "F2");
        foreach (var phase in FilesRun.Phases)
            Row($"{phase}, CPU s", t => t.Phase(phase)?.CpuSeconds, "F2");
        Row("repository on disk, MB", t => t.RepositoryBytes / Units.Mega, "F1");
        Row("peak RSS client, MiB", t => MaxOverPhases(t, p => p.ClientPeakRssBytes), "F0");
        bool daemon = tools.Any(t => t.Phases.Any(p => p.DaemonPeakRssBytes is not null));
        if (daemon)
        {
            Row("peak RSS bunkerd, MiB", t => MaxOverPhases(t, p => p.DaemonPeakRssBytes), "F0");
            Row("peak RSS client + daemon, MiB", t => MaxOverPhases(t, p => p.ClientPeakRssBytes + (p.DaemonPeakRssBytes ?? 0)), "F0");
        }
        table.Add([.. new[] { "restore verified" }.Concat(tools.Select(RestoreVerdict)).Concat(ratio ? [Missing] : [])]);

        var text = new StringBuilder();
        text.AppendLine(table.ToString());
        text.AppendLine($"data: {Describe(report.Tree)}; after the change: {Describe(report.ChangedTree)}");
        text.AppendLine($"change (seed 0x{report.Seed:X}): {report.Changes.Describe()}");
        text.AppendLine($"page cache: {report.PageCache}");
        if (report.Runs > 1)
            text.AppendLine($"figures: the median of {report.Runs} runs, each from a fresh copy into empty repositories; peak RSS: the highest run");
        double load = tools.SelectMany(t => t.Phases).Select(p => p.LoadAverage).DefaultIfEmpty().Max();
        text.AppendLine($"s: wall time of the client process, start to exit. CPU s: user + system seconds of the client, plus bunkerd's during the phase " +
                        $"(on a shared machine CPU seconds still compare when wall times do not: the 1-minute load average reached {load:F1} on " +
                        $"{Environment.ProcessorCount} cores at the end of a phase).");
        text.AppendLine("repository: du of the repository directory after the changed backup " +
                        "(bunker: bunkerd's whole data dir, packs and RocksDB index; restic and borg: the repository, their caches excluded).");
        text.AppendLine("peak RSS: client from /usr/bin/time %M" +
                        (!daemon ? "" : ", bunkerd from VmHWM" + (report.DaemonPeakResetPerPhase
                            ? " reset before each of its phases (/proc/PID/clear_refs)"
                            : " since it started (clear_refs refused)")) +
                        "; the table shows the highest phase. Per phase (initial / no-change / changed / restore):");
        foreach (var tool in tools)
        {
            text.Append($"  {tool.Name}: client {PerPhase(tool, p => p.ClientPeakRssBytes)} MiB");
            if (tool.Phases.Any(p => p.DaemonPeakRssBytes is not null))
                text.Append($", bunkerd {PerPhase(tool, p => p.DaemonPeakRssBytes)} MiB; CPU s client {PerPhaseSeconds(tool, p => p.ClientCpuSeconds)}, " +
                            $"bunkerd {PerPhaseSeconds(tool, p => p.DaemonCpuSeconds)}");
            text.AppendLine();
        }
        text.AppendLine("repository parts (du, MB): " + string.Join("; ", tools.Where(t => t.RepositoryParts is not null).Select(t =>
            $"{t.Name}: " + string.Join(", ", t.RepositoryParts!.Select(p => $"{p.Key} {(p.Value / Units.Mega).ToString("F1", CultureInfo.InvariantCulture)}")))));
        foreach (var tool in tools)
        {
            text.AppendLine($"{tool.Name}: {tool.Version}; {tool.Settings}");
            if (tool.Failure is not null)
                text.AppendLine($"  FAILED: {tool.Failure}");
            if (tool.Restore is { Ok: false } check)
            {
                text.AppendLine($"  restore differs from the source in {check.DifferenceCount} paths (restored root {check.RestoredRoot}):");
                foreach (var difference in check.Differences)
                    text.AppendLine($"    {difference}");
            }
        }
        text.AppendLine($"machine: {report.Machine}");
        return text.ToString();
    }

    private static ToolReport? Find(IReadOnlyList<ToolReport> tools, string name) => tools.FirstOrDefault(t => t.Name == name);

    private static double? MaxOverPhases(ToolReport tool, Func<PhaseReport, long?> bytes)
    {
        long? max = null;
        foreach (var phase in tool.Phases)
            if (bytes(phase) is long b && (max is null || b > max)) max = b;
        return max / (double)Units.MiB;
    }

    private static string PerPhase(ToolReport tool, Func<PhaseReport, long?> bytes) =>
        PerPhaseText(tool, p => bytes(p) / (double)Units.MiB, "F0");

    private static string PerPhaseSeconds(ToolReport tool, Func<PhaseReport, double?> seconds) => PerPhaseText(tool, seconds, "F2");

    private static string PerPhaseText(ToolReport tool, Func<PhaseReport, double?> value, string format) =>
        string.Join(" / ", FilesRun.Phases.Select(name =>
            tool.Phase(name) is { } p && value(p) is double v ? v.ToString(format, CultureInfo.InvariantCulture) : Missing));

    private static string RestoreVerdict(ToolReport tool) => tool.Restore switch
    {
        null => tool.Failure is null ? Missing : "FAILED",
        { Ok: true } => "OK",
        _ => "FAIL",
    };

    private static string Describe(TreeSummary tree) =>
        $"{tree.Files} files ({tree.Bytes / Units.Mega:F1} MB), {tree.Directories} directories, {tree.Symlinks} symlinks";
}
