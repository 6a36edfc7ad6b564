using System.CommandLine;
using Bunker.Protocol.V1;

namespace Bunker.Client.Commands;

/// <summary>
/// Which snapshots a command means: host, tags (all of them), paths (all of them) and source kind. Empty
/// parts match everything. The server filters host, kind and tags; paths are compared here, because the
/// protocol has no path filter.
/// </summary>
internal sealed record SnapshotFilter(string Host, IReadOnlyList<string> Tags, IReadOnlyList<string> Paths, string Kind)
{
    public static SnapshotFilter None { get; } = new("", [], [], "");

    /// <summary>Only snapshots of this source (a VM's id, a database's system identifier); empty for any.</summary>
    public string SourceId { get; init; } = "";

    /// <summary>True when every path asked for is one of the snapshot's paths (a trailing '/' does not matter).</summary>
    public bool MatchesPaths(SnapshotInfo snapshot)
    {
        foreach (var wanted in Paths)
        {
            var path = NormalisePath(wanted);
            bool found = false;
            foreach (var held in snapshot.Paths)
            {
                if (NormalisePath(held) == path)
                {
                    found = true;
                    break;
                }
            }
            if (!found) return false;
        }
        return true;
    }

    /// <summary>How the filter reads in a message: " (host h, tag t, path /p)", or "" when it is empty.</summary>
    public string Describe()
    {
        var parts = new List<string>();
        if (Host.Length > 0) parts.Add($"host {Host}");
        if (Kind.Length > 0) parts.Add($"kind {Kind}");
        if (SourceId.Length > 0) parts.Add($"source {SourceId}");
        foreach (var tag in Tags) parts.Add($"tag {tag}");
        foreach (var path in Paths) parts.Add($"path {path}");
        return parts.Count == 0 ? "" : $" ({string.Join(", ", parts)})";
    }

    private static string NormalisePath(string path) => path.Length > 1 ? path.TrimEnd('/') : path;
}

/// <summary>The <c>--host</c>, <c>--tag</c> and <c>--path</c> options that pick snapshots (for <c>snapshots</c>, and for <c>latest</c>).</summary>
internal sealed class SnapshotFilterOptions
{
    public SnapshotFilterOptions(string purpose)
    {
        Host = new Option<string>("--host") { HelpName = "HOST", Description = $"{purpose}: only snapshots of this host" };
        Tags = new Option<string[]>("--tag") { HelpName = "TAG", Description = $"{purpose}: only snapshots with this tag (repeat: with every one)" };
        Paths = new Option<string[]>("--path") { HelpName = "PATH", Description = $"{purpose}: only snapshots that backed up this path (repeat: every one)" };
    }

    public Option<string> Host { get; }
    public Option<string[]> Tags { get; }
    public Option<string[]> Paths { get; }

    public void AddTo(Command command)
    {
        command.Options.Add(Host);
        command.Options.Add(Tags);
        command.Options.Add(Paths);
    }

    public SnapshotFilter Read(ParseResult result, string kind = "") =>
        new(result.GetValue(Host) ?? "", result.GetValue(Tags) ?? [], result.GetValue(Paths) ?? [], kind);

    /// <summary>Resolves a SNAPSHOT argument of <paramref name="kind"/>, these options (and <paramref name="sourceId"/>) narrowing <c>latest</c>.</summary>
    public Task<SnapshotInfo> ResolveAsync(CommandCall call, string text, string kind, string? sourceId = null)
    {
        var filter = Read(call.Result);
        return SnapshotArgument.ResolveAsync(call, text, kind, filter.Host, filter.Paths, filter.Tags, sourceId);
    }
}
