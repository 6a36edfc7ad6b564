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
}
