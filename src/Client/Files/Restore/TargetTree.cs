using Bunker.Client.Files.Catalog;
using Bunker.Client.Files.Native;
using Bunker.Protocol.V1;

namespace Bunker.Client.Files.Restore;

/// <summary>
/// The directories of the target that the restore is in, as a stack of open descriptors from the target
/// down to the current directory. Catalog order is depth-first, so the stack only ever changes at its
/// top: each directory is opened once, component by component without following symlinks, and is closed
/// when the walk leaves it. That is also when its metadata is applied: all its entries exist by then
/// (content written later goes through open file descriptors and does not touch it), so its mtime stays,
/// and the deepest directories are finished first.
/// </summary>
internal sealed class TargetTree : IDisposable
{
    /// <summary>Mode of directories the catalog does not describe (above an include or a root).</summary>
    private const uint ImplicitMode = 0x1ED; // 0755

    /// <summary>Mode of a catalog directory while it is being filled: writable by us whatever its final mode.</summary>
    private const uint FillingMode = 0x1C0; // 0700

    private readonly RestoreContext _context;
    private readonly DirectoryHandle _root;
    private readonly List<Frame> _stack = [];

    public TargetTree(DirectoryHandle root, RestoreContext context)
    {
        _root = root;
        _context = context;
        _stack.Add(new Frame([], root, null, ""));
    }

    /// <summary>
    /// Makes <paramref name="directory"/> the current directory, creating what is missing above it. Null when it
    /// cannot be had (a warning names it once; entries below it are then left out quietly).
    /// </summary>
    public DirectoryHandle? Enter(ReadOnlySpan<byte> directory)
    {
        while (!CatalogPath.IsWithin(directory, _stack[^1].Path)) Pop();
        while (_stack[^1].Path.Length < directory.Length)
        {
            var top = _stack[^1];
            int start = top.Path.Length == 0 ? 0 : top.Path.Length + 1;
            int slash = directory[start..].IndexOf(CatalogPath.Separator);
            var path = directory[..(slash < 0 ? directory.Length : start + slash)].ToArray();
            var display = CatalogPath.Display(path);
            var handle = top.Handle is null ? null : Open(top.Handle, CatalogPath.Name(path), display, null);
            _stack.Add(new Frame(path, handle, null, display));
        }
        return _stack[^1].Handle;
    }

    /// <summary>Creates or reuses the catalog's directory and makes it current; its metadata is applied when the walk leaves it.</summary>
    public void EnterDirectory(WalkItem item)
    {
        var path = item.Entry.Path.Span;
        var parent = Enter(CatalogPath.Parent(path));
        var handle = parent is null ? null : Open(parent, CatalogPath.Name(path), item.Display, item.Entry);
        if (handle is not null) _context.AddDirectory();
        _stack.Add(new Frame(path.ToArray(), handle, item.Entry, item.Display));
    }

    /// <summary>
    /// An open directory already restored, not necessarily current (a hardlink's first name lives elsewhere):
    /// from the stack when it is there (<paramref name="owned"/> false), else opened afresh from the target down.
    /// </summary>
    /// <exception cref="IOException">A component is missing, or is not a directory (a symlink is never followed).</exception>
    public DirectoryHandle Find(ReadOnlySpan<byte> directory, out bool owned)
    {
        foreach (var frame in _stack)
        {
            if (frame.Handle is not null && frame.Path.AsSpan().SequenceEqual(directory))
            {
                owned = false;
                return frame.Handle;
            }
        }
        owned = true;
        return OpenExisting(_root, directory);
    }

    /// <summary>Opens an existing directory below <paramref name="root"/> (not the root itself), one component at a time, following no symlink.</summary>
    public static DirectoryHandle OpenExisting(DirectoryHandle root, ReadOnlySpan<byte> directory)
    {
        DirectoryHandle? current = null;
        try
        {
            var rest = directory;
            while (!rest.IsEmpty)
            {
                int slash = rest.IndexOf(CatalogPath.Separator);
                var next = (current ?? root).OpenDirectory(slash < 0 ? rest : rest[..slash]);
                current?.Dispose();
                current = next;
                rest = slash < 0 ? [] : rest[(slash + 1)..];
            }
            return current ?? throw new ArgumentException("the target itself is not below the target", nameof(directory));
        }
        catch
        {
            current?.Dispose();
            throw;
        }
    }

    /// <summary>Leaves every directory, applying the metadata of those from the catalog.</summary>
    public void Close()
    {
        while (_stack.Count > 1) Pop();
    }

    public void Dispose()
    {
        // After a failure: close without finishing, so a directory's mtime is not made to look final.
        for (int i = _stack.Count - 1; i > 0; i--) _stack[i].Handle?.Dispose();
        _stack.RemoveRange(1, _stack.Count - 1);
    }

    private void Pop()
    {
        var frame = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        if (frame.Handle is null) return;
        if (frame.Entry is not null) MetadataWriter.Apply(frame.Handle, frame.Entry, frame.Display, _context);
        frame.Handle.Dispose();
    }

    /// <summary>
    /// Opens directory <paramref name="name"/> in <paramref name="parent"/>, making it when missing. Something else in
    /// its place (a symlink above all) is never followed: when the catalog says a directory belongs there
    /// (<paramref name="entry"/> set) it is removed and replaced; otherwise the directory is a warning.
    /// </summary>
    private DirectoryHandle? Open(DirectoryHandle parent, ReadOnlySpan<byte> name, string display, CatalogEntry? entry)
    {
        try
        {
            try
            {
                parent.MakeDirectory(name, entry is null ? ImplicitMode : FillingMode);
            }
            catch (FileSystemException e) when (e.Errno == LibC.EEXIST)
            {
                // Already there: a directory is reused as it is; anything else is dealt with below.
            }
            try
            {
                return parent.OpenDirectory(name);
            }
            catch (FileSystemException e) when (e.Errno is LibC.ELOOP or LibC.ENOTDIR)
            {
                if (entry is null)
                {
                    _context.Warn(display, "exists and is not a directory (a symlink is never followed); nothing below it was restored");
                    return null;
                }
                parent.Unlink(name);
                parent.MakeDirectory(name, FillingMode);
                return parent.OpenDirectory(name);
            }
        }
        catch (IOException e)
        {
            _context.Warn(display, $"{e.Message}; nothing below it was restored");
            return null;
        }
    }

    private sealed record Frame(byte[] Path, DirectoryHandle? Handle, CatalogEntry? Entry, string Display);
}
