using Bunker.Index;
using Bunker.Protocol.V1;

namespace Bunker.Storage;

public sealed partial class Repository
{
    // Serialises create-once commits of this repository (check, then write), so that concurrent
    // pushes of one name leave one snapshot. Ordinary commits never take it.
    private readonly SemaphoreSlim _createOnceLock = new(1, 1);

    /// <summary>
    /// The snapshot already committed for the draft's source when its archives equal
    /// <paramref name="refs"/>; null when the source has none. Chunking is deterministic, so equal
    /// archive refs mean equal content. Different archives are a <see cref="SnapshotConflictException"/>.
    /// </summary>
    private SnapshotRecord? FindCreatedOnce(SnapshotDraft draft, List<ArchiveRef> refs)
    {
        // Oldest first: should a source ever hold more than one (a crashed commit that recovery
        // completed later), the first one decides.
        foreach (var existing in _index.Snapshots.ListBySource(Id, draft.Host, draft.SourceKind, draft.SourceId))
        {
            var manifest = ParseManifest(existing.Id, existing.Manifest);
            if (!SameArchives(manifest.Archives, refs))
                throw new SnapshotConflictException(draft.Host, draft.SourceKind, draft.SourceId, existing.Id);
            return existing;
        }
        return null;
    }

    private static bool SameArchives(IReadOnlyList<ArchiveRef> stored, List<ArchiveRef> completed)
    {
        if (stored.Count != completed.Count)
            return false;
        foreach (var candidate in completed)
        {
            if (FindByName(stored, candidate.Name) is not { } match || !SameArchive(match, candidate))
                return false;
        }
        return true;
    }

    private static ArchiveRef? FindByName(IReadOnlyList<ArchiveRef> archives, string name)
    {
        foreach (var archive in archives)
        {
            if (string.Equals(archive.Name, name, StringComparison.Ordinal))
                return archive;
        }
        return null;
    }

    private static bool SameArchive(ArchiveRef a, ArchiveRef b)
    {
        if (a.Size != b.Size || a.ChunkCount != b.ChunkCount || a.IndexChunks.Count != b.IndexChunks.Count)
            return false;
        for (int i = 0; i < a.IndexChunks.Count; i++)
        {
            if (!a.IndexChunks[i].Span.SequenceEqual(b.IndexChunks[i].Span))
                return false;
        }
        return true;
    }
}
