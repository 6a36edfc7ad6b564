namespace Bunker.Bench.Files;

/// <summary>
/// Several runs folded into one report for the table: per tool and phase the median wall and CPU
/// seconds, the highest peak RSS and load; the median repository size; a restore is OK only if it
/// was OK in every run, and the first failure of any run is kept.
/// </summary>
internal static class FilesMedian
{
    public static FilesReport Of(IReadOnlyList<FilesReport> runs)
    {
        var first = runs[0];
        if (runs.Count == 1)
            return first;
        var tools = new List<ToolReport>();
        for (int t = 0; t < first.Tools.Count; t++)
        {
            var perRun = runs.Select(r => r.Tools[t]).ToList();
            var tool = new ToolReport(perRun[0].Name, perRun[0].Settings)
            {
                Version = perRun[0].Version,
                RepositoryBytes = Median(perRun.Select(r => (double?)r.RepositoryBytes)) is double b ? (long)b : null,
                RepositoryApparentBytes = Median(perRun.Select(r => (double?)r.RepositoryApparentBytes)) is double a ? (long)a : null,
                RepositoryParts = perRun[0].RepositoryParts,
                Restore = perRun.Select(r => r.Restore).FirstOrDefault(c => c is not { Ok: true }) ?? perRun[0].Restore,
                Failure = perRun.Select(r => r.Failure).FirstOrDefault(f => f is not null),
            };
            foreach (var phase in FilesRun.Phases)
            {
                var phases = perRun.Select(r => r.Phase(phase)).ToList();
                if (phases.Any(p => p is null))
                    continue;
                tool.Phases.Add(new PhaseReport(phase,
                    Median(phases.Select(p => (double?)p!.Seconds))!.Value,
                    Median(phases.Select(p => p!.ClientCpuSeconds)),
                    Median(phases.Select(p => p!.DaemonCpuSeconds)),
                    phases.Max(p => p!.ClientPeakRssBytes),
                    phases.Max(p => p!.DaemonPeakRssBytes),
                    phases.Max(p => p!.LoadAverage)));
            }
            tools.Add(tool);
        }
        return first with { Tools = tools, DaemonPeakResetPerPhase = runs.All(r => r.DaemonPeakResetPerPhase), Runs = runs.Count };
    }

    /// <summary>The median of the values, or null when any is missing (a figure from some runs only would mislead).</summary>
    private static double? Median(IEnumerable<double?> values)
    {
        var list = values.ToList();
        if (list.Count == 0 || list.Any(v => v is null))
            return null;
        var sorted = list.Select(v => v!.Value).Order().ToList();
        int middle = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
