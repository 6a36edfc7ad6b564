using Bunker.Index;

namespace Bunker.Storage;

/// <summary>What a snapshot says about itself, apart from its archives.</summary>
public sealed record SnapshotDraft(string SourceKind, string Host, string SourceId)
{
    public IReadOnlyList<string> Paths { get; init; } = [];
    public IReadOnlyList<string> Tags { get; init; } = [];
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    /// <summary>When the backup started; defaults to the commit time.</summary>
    public DateTimeOffset? Time { get; init; }
    public SnapshotId? Parent { get; init; }
    /// <summary>
    /// At most one snapshot may exist for this (host, source kind, source id): a commit returns the
    /// existing one when its archives are identical, and throws <see cref="SnapshotConflictException"/>
    /// when they differ. For objects written once under a name, such as WAL files.
    /// </summary>
    public bool CreateOnce { get; init; }
}
