using Bunker.Client.Files.Catalog;
using Bunker.Client.Files.Native;
using Bunker.Protocol.V1;

namespace Bunker.Client.Files.Backup;

/// <summary>One file the walk found: its absolute path (bytes, from '/') and its lstat.</summary>
internal sealed class WalkEntry(byte[] absolutePath, FileStatus status, bool aboveRoots = false)
{
    public byte[] AbsolutePath { get; } = absolutePath;
    public FileStatus Status { get; } = status;

    /// <summary>A directory above the roots, recorded only so that a restore can recreate the path with its mode and owner.</summary>
    public bool AboveRoots { get; } = aboveRoots;

    /// <summary>The catalog path: the absolute path without its leading '/'.</summary>
    public ReadOnlySpan<byte> CatalogPath => AbsolutePath.AsSpan(1);
}

/// <summary>
/// Walks the backup roots in catalog order: depth first, each directory's children sorted bytewise, a directory
/// before its contents. The directories above each root come first, so that a restore recreates them with their
/// modes. Memory is one sorted listing per level of the current path, whatever the tree's size.
/// </summary>
/// <remarks>
/// Failures to stat or list are reported through the warning callback and the file (or the directory's content)
/// is left out; the walk goes on. Excluded paths are neither reported nor descended into.
/// </remarks>
internal sealed class TreeWalker(BackupRoots roots, ExcludeFilter excludes, bool oneFileSystem, Action<byte[], string> warn)
{
    private sealed class Frame(byte[] directory, List<byte[]> names, bool towardRoots, ulong device)
    {
        /// <summary>Absolute path of the directory without a trailing '/': empty for "/".</summary>
        public byte[] Directory { get; } = directory;
        public List<byte[]> Names { get; } = names;
        /// <summary>Above the roots: only the names that lead to a root are visited.</summary>
        public bool TowardRoots { get; } = towardRoots;
        /// <summary>st_dev of the root this directory belongs to, for --one-file-system.</summary>
        public ulong Device { get; } = device;
        public int Next { get; set; }
    }

    public IEnumerable<WalkEntry> Walk(CancellationToken cancellationToken = default)
    {
        var stack = new Stack<Frame>();
        if (roots.IsRoot([]))
        {
            // "/" itself has no catalog path: only its contents are entries.
            var top = TryStat("/"u8.ToArray(), follow: false);
            if (top is { IsDirectory: true } status && TryList([], "/"u8) is { } names)
                stack.Push(new Frame([], names, towardRoots: false, status.Device));
        }
        else
        {
            stack.Push(new Frame([], roots.NamesTowardRoots([]), towardRoots: true, 0));
        }

        while (stack.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var frame = stack.Peek();
            if (frame.Next == frame.Names.Count)
            {
                stack.Pop();
                continue;
            }
            var name = frame.Names[frame.Next++];
            var path = Join(frame.Directory, name);
            if (frame.TowardRoots && !roots.IsRoot(path.AsSpan(1)))
            {
                // A directory above a root: recorded as the directory it is (through a symlink, if one leads there).
                if (TryStat(path, follow: true) is not { } above) continue;
                if (!above.IsDirectory)
                {
                    warn(path, "not a directory, so the backup paths below it are left out");
                    continue;
                }
                yield return new WalkEntry(path, above, aboveRoots: true);
                stack.Push(new Frame(path, roots.NamesTowardRoots(path.AsSpan(1)), towardRoots: true, 0));
                continue;
            }
            if (!frame.TowardRoots && !excludes.IsEmpty && excludes.IsExcluded(path, name)) continue;
            if (TryStat(path, follow: false) is not { } status) continue;
            yield return new WalkEntry(path, status);
            if (!status.IsDirectory) continue;
            ulong device = frame.TowardRoots ? status.Device : frame.Device;
            // --one-file-system records a mount point but not what is mounted there.
            if (oneFileSystem && status.Device != device) continue;
            if (TryList(path, path) is { } children)
                stack.Push(new Frame(path, children, towardRoots: false, device));
        }
    }

    private FileStatus? TryStat(byte[] path, bool follow)
    {
        try
        {
            return follow ? NativeFiles.StatFollowing(path) : NativeFiles.Lstat(path);
        }
        catch (FileSystemException e)
        {
            warn(path, e.Message);
            return null;
        }
    }

    private List<byte[]>? TryList(byte[] path, ReadOnlySpan<byte> open)
    {
        try
        {
            var names = DirectoryReader.ListNames(open);
            names.Sort(NameOrder.Instance);
            return names;
        }
        catch (FileSystemException e)
        {
            warn(path.Length == 0 ? "/"u8.ToArray() : path, $"its contents are left out: {e.Message}");
            return null;
        }
    }

    private static byte[] Join(byte[] directory, byte[] name)
    {
        var path = new byte[directory.Length + 1 + name.Length];
        directory.CopyTo(path, 0);
        path[directory.Length] = CatalogPath.Separator;
        name.CopyTo(path, directory.Length + 1);
        return path;
    }
}
