using Bunker.Client.Backup;
using Bunker.Protocol.V1;

namespace Bunker.Client.Files.Backup;

/// <summary>What to back up and how.</summary>
public sealed record FileBackupRequest
{
    /// <summary>Files or directories; relative ones are taken from the current directory.</summary>
    public required IReadOnlyList<string> Paths { get; init; }
    public string Host { get; init; } = Environment.MachineName;
    public IReadOnlyList<string> Tags { get; init; } = [];
    /// <summary>Globs (see <c>bunker backup files --help</c>): without '/' they match any base name, with '/' the absolute path.</summary>
    public IReadOnlyList<string> Excludes { get; init; } = [];
    /// <summary>Files of exclude globs, one per line, '#' starting a comment line.</summary>
    public IReadOnlyList<string> ExcludeFiles { get; init; } = [];
    /// <summary>Do not descend into a directory on another file system than its root's (the mount point itself is kept).</summary>
    public bool OneFileSystem { get; init; }
    /// <summary>The parent snapshot (id or unique prefix) instead of the latest one of the same host and paths.</summary>
    public string? Parent { get; init; }
    /// <summary>No parent: every file is read.</summary>
    public bool Force { get; init; }

    /// <summary>How the upload buffers and compresses; the defaults unless a test or benchmark says otherwise.</summary>
    internal BackupUploaderOptions? Uploader { get; init; }

    /// <summary>Test seam: called with each regular file's absolute path just before it is opened.</summary>
    internal Action<string>? BeforeOpen { get; init; }
}

/// <summary>What a file backup did.</summary>
/// <param name="ParentId">The parent snapshot's id in hex, or null when every file was read.</param>
/// <param name="Warnings">Files left out (unreadable, vanished) or changed while read, in walk order.</param>
/// <param name="FilesNew">Regular files with no regular file at their path in the parent.</param>
/// <param name="FilesChanged">Regular files read although the parent had one at their path.</param>
/// <param name="FilesUnchanged">Regular files carried over from the parent without being read.</param>
/// <param name="Directories">Directory entries in the catalog.</param>
/// <param name="BytesRead">Bytes read from files.</param>
public sealed record FileBackupResult(
    SnapshotInfo Snapshot,
    string? ParentId,
    IReadOnlyList<FileWarning> Warnings,
    long FilesNew,
    long FilesChanged,
    long FilesUnchanged,
    long Directories,
    long BytesRead,
    BackupUploadStatistics Upload)
{
    /// <summary>True when some file was left out of the snapshot: the command then exits with <see cref="ExitCodes.Incomplete"/>.</summary>
    public bool Incomplete => LeftOut > 0;

    /// <summary>How many of the warnings are files left out (the others are files kept but changed while read).</summary>
    public int LeftOut { get; init; }

    /// <summary>Set when the parent snapshot proved damaged and every file was read again instead: why.</summary>
    public string? ParentDamaged { get; init; }
}
