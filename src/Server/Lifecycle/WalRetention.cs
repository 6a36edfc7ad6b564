using System.Globalization;
using Bunker.Protocol.V1;

namespace Bunker.Server.Lifecycle;

/// <summary>
/// Which archived PostgreSQL WAL is needed by no base backup left. bunkerd knows the client's layout only through the
/// labels and source ids it writes: a base backup (kind <see cref="BaseBackupKind"/>, source id the cluster's system
/// identifier) carries its start LSN and WAL segment size; an archived WAL file (kind <see cref="WalKind"/>) has the
/// source id <c>SYSTEMID/FILENAME</c>. A base backup needs every segment from the one holding its start LSN on, on
/// every timeline, so a segment file whose position (the name's last 16 hex digits) sorts before the oldest remaining
/// backup's start is needed by nothing. Timeline history files are always kept (tiny, and following timelines needs
/// them); with no base backup left, no WAL goes, since there is nothing to measure against.
/// </summary>
public static class WalRetention
{
    public const string BaseBackupKind = "postgres";
    public const string WalKind = "postgres-wal";
    private const string StartLsnLabel = "pg.start_lsn";
    private const string SegmentSizeLabel = "pg.wal_segment_size";

    /// <summary>The WAL file snapshots to remove, given every base backup that remains and every WAL snapshot, of one host.</summary>
    /// <param name="notes">Receives why some cluster's WAL was left alone.</param>
    public static List<SnapshotManifestRef> Obsolete(IReadOnlyList<SnapshotManifestRef> remainingBackups, IReadOnlyList<SnapshotManifestRef> wal, List<string> notes)
    {
        // Per cluster (host and system id): the earliest start position of any remaining backup.
        var oldestStart = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var backup in remainingBackups)
        {
            string? position = StartPosition(backup.Manifest);
            string cluster = backup.Manifest.Host + "\n" + backup.Manifest.SourceId;
            if (position is null)
            {
                // A backup whose start is unknown may need any WAL: its cluster keeps all of it.
                oldestStart[cluster] = "";
                notes.Add($"base backup {backup.Id[..12]} does not say where its WAL starts, so no WAL of cluster {backup.Manifest.SourceId} is removed");
                continue;
            }
            if (!oldestStart.TryGetValue(cluster, out var current) || string.CompareOrdinal(position, current) < 0)
                oldestStart[cluster] = position;
        }
        var obsolete = new List<SnapshotManifestRef>();
        foreach (var file in wal)
        {
            string sourceId = file.Manifest.SourceId;
            int slash = sourceId.IndexOf('/');
            if (slash <= 0) continue;
            string cluster = file.Manifest.Host + "\n" + sourceId[..slash];
            string name = sourceId[(slash + 1)..];
            if (!IsSegmentFamily(name) || !oldestStart.TryGetValue(cluster, out var start) || start.Length == 0) continue;
            if (name.AsSpan(8, 16).CompareTo(start, StringComparison.Ordinal) < 0) obsolete.Add(file);
        }
        return obsolete;
    }

    /// <summary>A segment, a partial segment or a backup label: 24 hex digits first. History files are not.</summary>
    private static bool IsSegmentFamily(string name)
    {
        if (name.Length < 24) return false;
        foreach (char c in name.AsSpan(0, 24))
            if (!char.IsAsciiHexDigitUpper(c) && !char.IsAsciiDigit(c)) return false;
        return name.Length == 24 || name[24] == '.';
    }

    /// <summary>The 16 hex digits that name the segment holding the backup's start LSN, or null when its labels do not say.</summary>
    public static string? StartPosition(SnapshotManifest manifest)
    {
        if (!manifest.Labels.TryGetValue(StartLsnLabel, out var lsnText) || !manifest.Labels.TryGetValue(SegmentSizeLabel, out var sizeText)) return null;
        if (!long.TryParse(sizeText, NumberStyles.None, CultureInfo.InvariantCulture, out long segmentSize) || segmentSize < 1 << 20 || segmentSize > 1L << 30
            || (segmentSize & (segmentSize - 1)) != 0)
            return null;
        int slash = lsnText.IndexOf('/');
        if (slash <= 0 || !uint.TryParse(lsnText.AsSpan(0, slash), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint high)
            || !uint.TryParse(lsnText.AsSpan(slash + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint low))
            return null;
        return string.Create(CultureInfo.InvariantCulture, $"{high:X8}{(uint)(low / segmentSize):X8}");
    }
}

/// <summary>A snapshot's hex id and parsed manifest.</summary>
public sealed record SnapshotManifestRef(string Id, SnapshotManifest Manifest);
