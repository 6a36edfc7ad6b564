using Bunker.Bench.Workloads;

namespace Bunker.Bench.Files;

/// <summary>The raw figures of one `files` run, written as JSON beside the table.</summary>
internal sealed record FilesReport(
    DateTimeOffset Started,
    string Machine,
    IReadOnlyList<string> Sources,
    string WorkDirectory,
    ulong Seed,
    TreeSummary Tree,
    TreeChanges Changes,
    TreeSummary ChangedTree,
    string PageCache,
    bool DaemonPeakResetPerPhase,
    IReadOnlyList<ToolReport> Tools,
    int Runs = 1);

/// <summary>The JSON file: the figures the table shows (the median when there were several runs), then every run.</summary>
internal sealed record FilesResult(FilesReport Summary, IReadOnlyList<FilesReport> Runs);

/// <summary>Counts and digest of a tree (<see cref="TreeManifest"/>).</summary>
internal sealed record TreeSummary(int Files, int Directories, int Symlinks, long Bytes, string Digest)
{
    public static TreeSummary Of(TreeManifest manifest) =>
        new(manifest.Files, manifest.Directories, manifest.Symlinks, manifest.Bytes, manifest.Digest);
}

/// <summary>
/// One phase of one tool: wall time of the client process; CPU seconds (user + system) and peak RSS of it
/// and of the daemon (bunkerd) where there is one; the machine's 1-minute load average when the phase ended.
/// </summary>
internal sealed record PhaseReport(
    string Phase,
    double Seconds,
    double? ClientCpuSeconds,
    double? DaemonCpuSeconds,
    long? ClientPeakRssBytes,
    long? DaemonPeakRssBytes,
    double LoadAverage)
{
    public double? CpuSeconds => ClientCpuSeconds + (DaemonCpuSeconds ?? 0);
}

/// <summary>Whether the restore gave back the source: equal digests, or the differences found.</summary>
internal sealed record RestoreCheck(bool Ok, string RestoredRoot, TreeSummary Restored, int DifferenceCount, IReadOnlyList<string> Differences);

/// <summary>Everything measured of one tool. <see cref="Failure"/> says why its later phases are missing.</summary>
internal sealed class ToolReport(string name, string settings)
{
    public string Name { get; } = name;
    public string Version { get; set; } = "?";
    public string Settings { get; } = settings;
    public List<PhaseReport> Phases { get; } = [];
    /// <summary>du of the repository directory after the last backup: allocated bytes.</summary>
    public long? RepositoryBytes { get; set; }
    /// <summary>The sum of the repository's file sizes at the same moment.</summary>
    public long? RepositoryApparentBytes { get; set; }
    /// <summary>du of each top-level directory of the repository (its top-level files together as "(files)").</summary>
    public SortedDictionary<string, long>? RepositoryParts { get; set; }
    public RestoreCheck? Restore { get; set; }
    public string? Failure { get; set; }

    public PhaseReport? Phase(string phase) => Phases.Find(p => p.Phase == phase);
}
