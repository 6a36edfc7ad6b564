using Bunker.Chunking;
using Bunker.Index;

namespace Bunker.Storage;

/// <summary>A chunk's bytes do not hash to the digest it was offered under (invariant 1). Nothing was stored.</summary>
public sealed class ChunkDigestMismatchException(ChunkDigest claimed, ChunkDigest actual)
    : IOException($"chunk data does not match its digest: offered as {claimed}, hashes to {actual}; nothing was stored")
{
    public ChunkDigest Claimed { get; } = claimed;
    public ChunkDigest Actual { get; } = actual;
}

/// <summary>The repository holds no chunk with this digest.</summary>
public sealed class ChunkNotFoundException(RepositoryId repository, ChunkDigest digest)
    : KeyNotFoundException($"repository {repository} has no chunk {digest}")
{
    public ChunkDigest Digest { get; } = digest;
}

/// <summary>A snapshot was refused at commit; nothing of it became visible.</summary>
public sealed class SnapshotRefusedException(string reason, IReadOnlyList<ChunkDigest>? missing = null)
    : InvalidOperationException($"snapshot refused: {reason}")
{
    /// <summary>The first referenced chunks found missing, when that is the reason.</summary>
    public IReadOnlyList<ChunkDigest> Missing { get; } = missing ?? [];
}

/// <summary>
/// A create-once snapshot was committed under a source that already has a snapshot with different
/// archives. Nothing of the new one became visible; the existing one is unchanged.
/// </summary>
public sealed class SnapshotConflictException(string host, string sourceKind, string sourceId, SnapshotId existing)
    : Exception($"source '{sourceId}' ({sourceKind} on host '{host}') already has snapshot {existing} with different content; a create-once snapshot is never replaced")
{
    public SnapshotId Existing { get; } = existing;
}

/// <summary>The repository has no snapshot with this id.</summary>
public sealed class SnapshotNotFoundException(RepositoryId repository, SnapshotId id)
    : KeyNotFoundException($"repository {repository} has no snapshot {id}");

/// <summary>A store is already initialised, or not initialised, when the caller expected otherwise.</summary>
public sealed class RepositoryStateException(string message) : InvalidOperationException(message);
