using Bunker.Client.Files.Native;

namespace Bunker.Client.Postgres.Tar;

/// <summary>
/// Unpacks a PostgreSQL base backup (pg_basebackup -Ft) into a new data directory. The archive comes from the
/// server and is treated as hostile: see <see cref="ExtractAsync"/> for what is refused.
/// </summary>
public static class TarExtractor
{
    /// <summary>
    /// Unpacks a tar stream into target, which must not exist or be an empty directory (created with TargetMode).
    /// Members: regular files ('0' or '\0'), directories ('5'); PAX extended headers ('x') for path/size and
    /// GNU long names ('L') are understood; global PAX headers ('g') are ignored. Symlinks ('2'), hard links ('1'),
    /// devices, fifos and anything else are refused (TarFormatException naming the member): a base backup
    /// without extra tablespaces has none.
    /// Names: "./" prefixes removed; absolute names, "..", empty components, NUL, and duplicates of an existing
    /// file are refused. Parent directories are created if the stream lists a file before its directory.
    /// Modes come from the header (setuid/setgid dropped: &amp; 01777), mtimes are set.
    /// Files are created O_CREAT|O_EXCL|O_NOFOLLOW, directories only under directories this extraction created,
    /// so a symlink can never be followed.
    /// Checks each header's checksum, sizes (octal and GNU base-256), the two zero blocks at the end (a stream
    /// ending without them, or mid-member, is truncated: TarFormatException). Data after the end marker is not read.
    /// Memory: one 1 MiB buffer whatever the member sizes, plus one small entry per extracted name.
    /// What was extracted before a refusal stays in the target; the caller decides whether to remove it.
    /// </summary>
    /// <exception cref="TarFormatException">The stream is malformed, truncated, or holds a member that is refused.</exception>
    /// <exception cref="IOException">The target is a symlink, not a directory or not empty (nothing is read then), or a write failed.</exception>
    public static async Task<TarExtractResult> ExtractAsync(Stream tar, string target, TarExtractOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(tar);
        ArgumentException.ThrowIfNullOrEmpty(target);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.OwnerUid ?? 0, nameof(options.OwnerUid));
        ArgumentOutOfRangeException.ThrowIfNegative(options.OwnerGid ?? 0, nameof(options.OwnerGid));
        if (options.TargetMode is < 0 or > 0x1FF) // 0777
            throw new ArgumentOutOfRangeException(nameof(options), $"TargetMode {Convert.ToString(options.TargetMode, 8)} is not permission bits (0 to 0777)");

        using var tree = ExtractionTree.Open(target, options);
        using var reader = new TarReader(tar);
        while (await reader.NextAsync(ct) is { } member)
        {
            try
            {
                if (member.IsRegularFile) await ExtractFileAsync(reader, tree, member, ct);
                else if (member.Type == TarHeader.Directory) AddDirectory(tree, member, reader.Member);
                else throw new TarFormatException($"tar member '{reader.Member}' is refused: it is {Describe(member.Type)}, which a base backup without extra tablespaces never holds");
            }
            catch (FileSystemException e)
            {
                throw new IOException($"tar member '{reader.Member}': {e.Message}", e);
            }
        }
        try
        {
            tree.FinishDirectories();
        }
        catch (FileSystemException e)
        {
            throw new IOException($"extraction into '{target}': setting directory modes and times: {e.Message}", e);
        }
        return new TarExtractResult(tree.Files, tree.Directories, tree.Bytes);
    }

    private static async Task ExtractFileAsync(TarReader reader, ExtractionTree tree, TarHeader member, CancellationToken ct)
    {
        var path = TarPath.Normalize(member.Name, isDirectory: false);
        using var file = tree.CreateFile(path, reader.Member);
        long offset = 0;
        while (true)
        {
            var piece = await reader.ReadDataAsync(ct);
            if (piece.IsEmpty) break;
            RandomAccess.Write(file, piece.Span, offset);
            offset += piece.Length;
        }
        tree.FinishFile(file, member.Size, member.Mode, member.ModifiedSeconds);
    }

    private static void AddDirectory(ExtractionTree tree, TarHeader member, string name)
    {
        // A directory's size is zero in every ustar writer; data there would be a dumpdir or a smuggled payload.
        if (member.Size != 0)
            throw new TarFormatException($"tar member '{name}' is refused: a directory with {member.Size} bytes of data");
        tree.AddDirectory(TarPath.Normalize(member.Name, isDirectory: true), member.Mode, member.ModifiedSeconds, name);
    }

    private static string Describe(byte type) => type switch
    {
        TarHeader.HardLink => "a hard link",
        TarHeader.Symlink => "a symlink",
        TarHeader.CharacterDevice => "a character device",
        TarHeader.BlockDevice => "a block device",
        TarHeader.Fifo => "a fifo",
        >= 0x20 and < 0x7F => $"of type '{(char)type}'",
        _ => $"of type 0x{type:x2}",
    };
}
