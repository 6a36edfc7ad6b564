using System.Text;
using Bunker.Client.Files.Catalog;
using Bunker.Client.Files.Native;
using Microsoft.Win32.SafeHandles;

namespace Bunker.Client.Postgres.Tar;

/// <summary>
/// The target of an extraction and everything created in it. The target starts empty, so every entry below it
/// is one this extraction made, and the tree remembers each: a name is never created twice, and a directory is
/// only ever entered if it was made here. Each step down is openat(O_DIRECTORY|O_NOFOLLOW) of one name, and each
/// file is created O_CREAT|O_EXCL|O_NOFOLLOW, so no symlink is ever followed and nothing lands outside the target.
/// </summary>
internal sealed class ExtractionTree : IDisposable
{
    // Directories are made owner-only and writable while the extraction fills them; their own modes come last.
    private const uint WorkingDirectoryMode = 0x1C0; // 0700
    private const uint NewFileMode = 0x180; // 0600
    // chown's "leave unchanged" for an id the options do not set.
    private const uint Unchanged = uint.MaxValue;

    private readonly DirectoryHandle _root;
    private readonly uint _uid;
    private readonly uint _gid;
    // Every entry created, by path (bytes as Latin-1, one char per byte, so any name is a distinct key).
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    // The directory the last file went into: a base backup lists a directory's files together.
    private string? _currentPath;
    private DirectoryHandle? _current;

    private ExtractionTree(string target, TarExtractOptions options)
    {
        _uid = options.OwnerUid is { } uid ? (uint)uid : Unchanged;
        _gid = options.OwnerGid is { } gid ? (uint)gid : Unchanged;
        _root = ExtractionTarget.Open(target, (uint)options.TargetMode, ChangesOwner, _uid, _gid);
    }

    public long Files { get; private set; }
    public long Directories { get; private set; }
    public long Bytes { get; private set; }

    private bool ChangesOwner => _uid != Unchanged || _gid != Unchanged;

    /// <summary>Opens (or makes) the target; see <see cref="ExtractionTarget"/> for what is refused.</summary>
    public static ExtractionTree Open(string target, TarExtractOptions options) => new(target, options);

    /// <summary>
    /// Makes the directory <paramref name="path"/>, or takes a new mode and mtime for one made earlier; a file by
    /// that name is refused. <paramref name="member"/> is the member's name as the archive gives it, for messages.
    /// </summary>
    public void AddDirectory(byte[] path, int mode, long mtimeSeconds, string member)
    {
        if (path.Length == 0) return; // the target itself: its mode is the options' TargetMode
        string key = Key(path);
        if (_entries.TryGetValue(key, out var existing))
        {
            if (!existing.IsDirectory) throw Refused(member, "a file by that name is already extracted");
        }
        else
        {
            var parent = EnterParent(path, member);
            MakeDirectory(parent, CatalogPath.Name(path), key);
        }
        _entries[key] = new Entry(IsDirectory: true, Listed: true, mode, mtimeSeconds);
    }

    /// <summary>Creates the new regular file <paramref name="path"/> (its parents too, when not yet listed); a duplicate name is refused.</summary>
    public SafeFileHandle CreateFile(byte[] path, string member)
    {
        string key = Key(path);
        if (_entries.TryGetValue(key, out var existing))
            throw Refused(member, existing.IsDirectory ? "a directory by that name is already extracted" : "it is a duplicate of a file already extracted");
        var parent = EnterParent(path, member);
        var file = parent.CreateFile(CatalogPath.Name(path), NewFileMode);
        _entries[key] = new Entry(IsDirectory: false, Listed: true, 0, 0);
        Files++;
        return file;
    }

    /// <summary>Owner, mode, then mtime of a file whose content is written (chown first: it may clear mode bits).</summary>
    public void FinishFile(SafeFileHandle file, long size, int mode, long mtimeSeconds)
    {
        if (ChangesOwner) HandleMetadata.SetOwner(file, _uid, _gid);
        HandleMetadata.SetMode(file, PermittedMode(mode));
        HandleMetadata.SetTimes(file, 0, mtimeSeconds * 1_000_000_000L);
        Bytes += size;
    }

    /// <summary>
    /// Gives each listed directory its mode and mtime, deepest first: only now, since creating entries in a
    /// directory changes its mtime, and a mode without write or search permission would have stopped the filling.
    /// </summary>
    public void FinishDirectories()
    {
        CloseCurrent();
        var listed = new List<(byte[] Path, Entry Entry)>();
        foreach (var (key, entry) in _entries)
        {
            if (entry.IsDirectory && entry.Listed) listed.Add((Encoding.Latin1.GetBytes(key), entry));
        }
        listed.Sort(static (a, b) => Depth(b.Path).CompareTo(Depth(a.Path)));
        foreach (var (path, entry) in listed)
        {
            using var directory = OpenDirectory(path);
            HandleMetadata.SetMode(directory, PermittedMode(entry.Mode));
            HandleMetadata.SetTimes(directory, 0, entry.MtimeSeconds * 1_000_000_000L);
        }
    }

    // Setuid and setgid are dropped: a restored data directory has no business with them.
    private static uint PermittedMode(int mode) => (uint)mode & 0x3FF; // & 01777

    private static int Depth(byte[] path) => path.AsSpan().Count(CatalogPath.Separator);

    /// <summary>The open directory that <paramref name="path"/>'s last name goes in, making the directories above it that no member listed yet.</summary>
    private DirectoryHandle EnterParent(byte[] path, string member)
    {
        var parentPath = CatalogPath.Parent(path);
        if (parentPath.IsEmpty) return _root;
        string parentKey = Key(parentPath);
        if (_current is not null && parentKey == _currentPath) return _current;
        CloseCurrent();
        _current = OpenDirectory(parentPath, create: true, member);
        _currentPath = parentKey;
        return _current;
    }

    /// <summary>Walks down from the target one name at a time, never following a symlink.</summary>
    private DirectoryHandle OpenDirectory(ReadOnlySpan<byte> path, bool create = false, string? member = null)
    {
        DirectoryHandle directory = _root;
        int end = -1;
        while (end < path.Length)
        {
            int start = end + 1;
            int slash = path[start..].IndexOf(CatalogPath.Separator);
            end = slash < 0 ? path.Length : start + slash;
            var name = path[start..end];
            string key = Key(path[..end]);
            try
            {
                if (!_entries.TryGetValue(key, out var entry))
                {
                    if (!create) throw new InvalidOperationException($"'{CatalogPath.Display(path[..end])}' was never made");
                    MakeDirectory(directory, name, key);
                }
                else if (!entry.IsDirectory)
                {
                    throw Refused(member ?? CatalogPath.Display(path), $"'{CatalogPath.Display(path[..end])}' above it is a file, not a directory");
                }
                var next = directory.OpenDirectory(name);
                Release(directory);
                directory = next;
            }
            catch
            {
                Release(directory);
                throw;
            }
        }
        return directory;
    }

    private void Release(DirectoryHandle directory)
    {
        if (directory != _root) directory.Dispose();
    }

    private void MakeDirectory(DirectoryHandle parent, ReadOnlySpan<byte> name, string key)
    {
        parent.MakeDirectory(name, WorkingDirectoryMode);
        // An implied directory stays 0700 (as PostgreSQL wants its directories); a listed one gets its mode at the end.
        _entries[key] = new Entry(IsDirectory: true, Listed: false, 0, 0);
        if (ChangesOwner) parent.SetOwner(name, _uid, _gid);
        Directories++;
    }

    private void CloseCurrent()
    {
        _current?.Dispose();
        _current = null;
        _currentPath = null;
    }

    private static string Key(ReadOnlySpan<byte> path) => Encoding.Latin1.GetString(path);

    private static TarFormatException Refused(string member, string why) =>
        new($"tar member '{member}' is refused: {why}");

    public void Dispose()
    {
        CloseCurrent();
        _root.Dispose();
    }

    private readonly record struct Entry(bool IsDirectory, bool Listed, int Mode, long MtimeSeconds);
}
