namespace Bunker.Index;

/// <summary>
/// A committed snapshot as the catalog lists it. <see cref="Manifest"/> is the serialized manifest,
/// opaque to the index; the other fields are what listing and grouping need.
/// </summary>
public sealed record SnapshotRecord(
    SnapshotId Id,
    RepositoryId Repository,
    string Host,
    string SourceKind,
    string SourceId,
    DateTimeOffset Time,
    byte[] Manifest);
