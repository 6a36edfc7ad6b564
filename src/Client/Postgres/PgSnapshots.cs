using System.Globalization;
using Bunker.Client.Postgres.Wal;
using Bunker.Protocol.V1;

namespace Bunker.Client.Postgres;

/// <summary>
/// How PostgreSQL backups live in a repository. A base backup is a snapshot of kind <see cref="BaseBackupKind"/>
/// whose source id is the cluster's system identifier, holding the <see cref="BaseArchive"/> archive (pg_basebackup's
/// tar) and labels for its WAL position. Every archived WAL file (segment, history, backup label, partial) is a
/// create-once snapshot of kind <see cref="WalKind"/> with source id "SYSTEMID/FILENAME" and one <see cref="WalArchive"/>.
/// </summary>
internal static class PgSnapshots
{
    public const string BaseBackupKind = "postgres";
    public const string WalKind = "postgres-wal";
    public const string BaseArchive = "base.tar";
    public const string WalArchive = "wal";

    public const string SystemIdentifier = "pg.system_identifier";
    public const string ServerVersion = "pg.server_version";
    public const string SegmentSize = "pg.wal_segment_size";
    public const string WalMethod = "pg.wal_method";
    public const string Timeline = "pg.timeline";
    public const string StartLsn = "pg.start_lsn";
    public const string StopLsn = "pg.stop_lsn";
    public const string StartTime = "pg.start_time";
    public const string StopTime = "pg.stop_time";
    public const string WalFile = "pg.file";
    /// <summary>When the WAL file was last written (its mtime at push): no record in it is newer.</summary>
    public const string WalModified = "pg.modified";

    public static string WalSourceId(ulong systemIdentifier, string fileName) =>
        string.Create(CultureInfo.InvariantCulture, $"{systemIdentifier}/{fileName}");

    public static string Time(DateTimeOffset time) => time.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    public static DateTimeOffset SnapshotTime(SnapshotInfo snapshot) => DateTimeOffset.UnixEpoch.AddTicks(snapshot.TimeUnixNanos / 100);
}

/// <summary>A base backup as its snapshot's labels describe it.</summary>
internal sealed record BaseBackup(
    SnapshotInfo Snapshot, ulong SystemIdentifier, uint Timeline, Lsn Start, Lsn Stop, DateTimeOffset StartTime, DateTimeOffset StopTime,
    int SegmentSize, string WalMethod)
{
    public string Id => Convert.ToHexStringLower(Snapshot.Id.Span);

    /// <summary>True when the tar holds the WAL from start to stop (pg_basebackup -X fetch), so it is consistent without the archive.</summary>
    public bool HoldsItsWal => WalMethod == "fetch";

    /// <summary>Reads the labels; null when the snapshot is not a complete base backup (an older or foreign format).</summary>
    public static BaseBackup? From(SnapshotInfo snapshot)
    {
        var labels = snapshot.Manifest?.Labels;
        if (labels is null || snapshot.SourceKind != PgSnapshots.BaseBackupKind) return null;
        if (!labels.TryGetValue(PgSnapshots.SystemIdentifier, out var system) || !ulong.TryParse(system, NumberStyles.None, CultureInfo.InvariantCulture, out ulong systemId)) return null;
        if (!labels.TryGetValue(PgSnapshots.Timeline, out var tl) || !uint.TryParse(tl, NumberStyles.None, CultureInfo.InvariantCulture, out uint timeline)) return null;
        if (!labels.TryGetValue(PgSnapshots.StartLsn, out var start) || !Lsn.TryParse(start, out var startLsn)) return null;
        if (!labels.TryGetValue(PgSnapshots.StopLsn, out var stop) || !Lsn.TryParse(stop, out var stopLsn)) return null;
        if (!labels.TryGetValue(PgSnapshots.StopTime, out var stopText) || !TryTime(stopText, out var stopTime)) return null;
        if (!labels.TryGetValue(PgSnapshots.SegmentSize, out var size) || !int.TryParse(size, NumberStyles.None, CultureInfo.InvariantCulture, out int segmentSize)) return null;
        var startTime = labels.TryGetValue(PgSnapshots.StartTime, out var startText) && TryTime(startText, out var parsed) ? parsed : PgSnapshots.SnapshotTime(snapshot);
        return new BaseBackup(snapshot, systemId, timeline, startLsn, stopLsn, startTime, stopTime, segmentSize,
            labels.TryGetValue(PgSnapshots.WalMethod, out var method) ? method : "none");
    }

    private static bool TryTime(string text, out DateTimeOffset time) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out time);
}
