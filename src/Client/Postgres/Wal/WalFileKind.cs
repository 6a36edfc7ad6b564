namespace Bunker.Client.Postgres.Wal;

/// <summary>The kinds of file archive_command is handed.</summary>
public enum WalFileKind
{
    /// <summary>A whole WAL segment: "TTTTTTTTXXXXXXXXYYYYYYYY".</summary>
    Segment,

    /// <summary>A timeline history file: "TTTTTTTT.history".</summary>
    History,

    /// <summary>A backup history file: "&lt;segment&gt;.OOOOOOOO.backup", OOOOOOOO the backup start's offset in the segment.</summary>
    BackupLabel,

    /// <summary>The last, partial segment of an old timeline after a promotion: "&lt;segment&gt;.partial".</summary>
    Partial,
}
