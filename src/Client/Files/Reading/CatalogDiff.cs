using System.Runtime.CompilerServices;
using Bunker.Client.Files.Catalog;
using Bunker.Protocol.V1;

namespace Bunker.Client.Files.Reading;

/// <summary>How one path differs between two snapshots.</summary>
public enum CatalogChangeKind
{
    /// <summary>Only in the second snapshot.</summary>
    Added,
    /// <summary>Only in the first snapshot.</summary>
    Removed,
    /// <summary>Same type, different content: a file's bytes, a symlink's target, a device's number, a hardlink's target.</summary>
    Modified,
    /// <summary>The path is of another type (a file became a directory, ...).</summary>
    TypeChanged,
    /// <summary>Same content, different metadata: mode, owner, mtime or xattrs.</summary>
    MetadataChanged,
}

/// <summary>One difference; <see cref="Before"/> is null for an addition, <see cref="After"/> for a removal.</summary>
public sealed record CatalogChange(CatalogChangeKind Kind, CatalogEntry? Before, CatalogEntry? After)
{
    public ReadOnlyMemory<byte> Path => (After ?? Before)!.Path.Memory;
}

/// <summary>
/// Compares two catalogs in one merge pass: both are in catalog order, so each is read once, forward,
/// and nothing but the two current entries is held. Changes come out in catalog order.
/// </summary>
public static class CatalogDiff
{
    /// <param name="sameFileContent">
    /// Says whether two regular files of equal size and extents hold the same bytes (by their payload
    /// chunks). It is called in catalog order, so forward-only cursors over the payloads serve it.
    /// </param>
    public static async IAsyncEnumerable<CatalogChange> CompareAsync(CatalogReader before, CatalogReader after,
        Func<CatalogEntry, CatalogEntry, ValueTask<bool>> sameFileContent, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        ArgumentNullException.ThrowIfNull(sameFileContent);
        var left = await before.ReadAsync(cancellationToken).ConfigureAwait(false);
        var right = await after.ReadAsync(cancellationToken).ConfigureAwait(false);
        while (left is not null || right is not null)
        {
            int order = left is null ? 1 : right is null ? -1 : CatalogPath.Compare(left.Path.Span, right.Path.Span);
            if (order < 0)
            {
                yield return new CatalogChange(CatalogChangeKind.Removed, left, null);
                left = await before.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            else if (order > 0)
            {
                yield return new CatalogChange(CatalogChangeKind.Added, null, right);
                right = await after.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                if (await ClassifyAsync(left!, right!, sameFileContent).ConfigureAwait(false) is { } kind)
                    yield return new CatalogChange(kind, left, right);
                left = await before.ReadAsync(cancellationToken).ConfigureAwait(false);
                right = await after.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>What changed between two entries of one path, or null when nothing did.</summary>
    private static async ValueTask<CatalogChangeKind?> ClassifyAsync(CatalogEntry before, CatalogEntry after, Func<CatalogEntry, CatalogEntry, ValueTask<bool>> sameFileContent)
    {
        if (before.Type != after.Type) return CatalogChangeKind.TypeChanged;
        if (!await SameContentAsync(before, after, sameFileContent).ConfigureAwait(false)) return CatalogChangeKind.Modified;
        return SameMetadata(before, after) ? null : CatalogChangeKind.MetadataChanged;
    }

    private static async ValueTask<bool> SameContentAsync(CatalogEntry before, CatalogEntry after, Func<CatalogEntry, CatalogEntry, ValueTask<bool>> sameFileContent)
    {
        switch (before.Type)
        {
            case EntryType.File:
                if (!before.HardlinkTarget.Equals(after.HardlinkTarget)) return false;
                // A second link has no content of its own: its first path carries it, and is compared there.
                if (!before.HardlinkTarget.IsEmpty) return true;
                if (before.Size != after.Size || !before.Extents.Equals(after.Extents)) return false;
                return before.Size == 0 || await sameFileContent(before, after).ConfigureAwait(false);
            case EntryType.Symlink:
                return before.SymlinkTarget.Equals(after.SymlinkTarget);
            case EntryType.CharDevice or EntryType.BlockDevice:
                return before.Rdev == after.Rdev;
            default:
                return true;
        }
    }

    /// <summary>What a restore sets besides content. ctime, atime and the source's inode numbers are not compared: they move on their own.</summary>
    private static bool SameMetadata(CatalogEntry before, CatalogEntry after) =>
        before.Mode == after.Mode
        && before.Uid == after.Uid
        && before.Gid == after.Gid
        && before.User == after.User
        && before.Group == after.Group
        && before.MtimeUnixNanos == after.MtimeUnixNanos
        && before.Xattrs.Equals(after.Xattrs);
}
