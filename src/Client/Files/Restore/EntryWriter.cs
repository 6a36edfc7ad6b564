using Bunker.Client.Files.Native;
using Bunker.Protocol.V1;
using Microsoft.Win32.SafeHandles;

namespace Bunker.Client.Files.Restore;

/// <summary>
/// Creates entries in an open directory. Whatever is in the way is never opened or followed: a
/// non-directory is unlinked and the entry created afresh (so even a hardlink planted in the target
/// cannot carry our writes to a file elsewhere); a directory in the way is left alone, with a warning.
/// </summary>
internal sealed class EntryWriter(RestoreContext context)
{
    /// <summary>Mode of a regular file while its content is written; its own mode is applied at the end.</summary>
    private const uint WritingMode = 0x180; // 0600

    public enum FileOutcome
    {
        Created,
        AlreadyThere,
        Failed,
    }

    /// <summary>
    /// A new, empty file for <paramref name="item"/>, set to its size (so that unwritten ranges are holes); or
    /// <see cref="FileOutcome.AlreadyThere"/> when a regular file of the same size and mtime is in place (a
    /// restore that was interrupted sets mtime last, so a half-written file never matches).
    /// </summary>
    public FileOutcome CreateFile(DirectoryHandle directory, byte[] name, WalkItem item, long size, out SafeFileHandle? handle)
    {
        handle = null;
        try
        {
            if (directory.TryStatus(name, out var existing) && existing.IsRegular
                && existing.Size == size && existing.MtimeNanos == item.Entry.MtimeUnixNanos)
                return FileOutcome.AlreadyThere;
            handle = Replacing(directory, name, () => directory.CreateFile(name, WritingMode));
            HandleMetadata.Truncate(handle, size);
            return FileOutcome.Created;
        }
        catch (IOException e)
        {
            handle?.Dispose();
            handle = null;
            context.Warn(item.Display, e.Message);
            return FileOutcome.Failed;
        }
    }

    public bool CreateSymlink(DirectoryHandle directory, ReadOnlySpan<byte> name, WalkItem item)
    {
        var bytes = name.ToArray();
        return Create(item, () =>
        {
            Replacing(directory, bytes, () =>
            {
                directory.CreateSymlink(bytes, item.Entry.SymlinkTarget.Span);
                return true;
            });
            MetadataWriter.Apply(directory, bytes, item.Entry, item.Display, context);
        });
    }

    /// <summary>A fifo or socket always; a device node only as root (anyone else gets a warning, as mknod would refuse).</summary>
    public bool CreateSpecial(DirectoryHandle directory, ReadOnlySpan<byte> name, WalkItem item)
    {
        uint type = item.Entry.Type switch
        {
            EntryType.Fifo => LibC.TypeFifo,
            EntryType.Socket => LibC.TypeSocket,
            EntryType.CharDevice => LibC.TypeCharDevice,
            _ => LibC.TypeBlockDevice,
        };
        if (type is LibC.TypeCharDevice or LibC.TypeBlockDevice && !HandleMetadata.IsRoot)
        {
            context.Warn(item.Display, $"{AncestorCheck.Describe(item.Entry.Type)} not restored: only root may create device nodes");
            return false;
        }
        var bytes = name.ToArray();
        return Create(item, () =>
        {
            Replacing(directory, bytes, () =>
            {
                directory.CreateNode(bytes, type | WritingMode, type is LibC.TypeCharDevice or LibC.TypeBlockDevice ? item.Entry.Rdev : 0);
                return true;
            });
            MetadataWriter.Apply(directory, bytes, item.Entry, item.Display, context);
        });
    }

    /// <summary>Another name for the inode at <paramref name="existing"/> in <paramref name="from"/>; a name already on that inode is kept.</summary>
    public bool CreateHardlink(DirectoryHandle directory, ReadOnlySpan<byte> name, DirectoryHandle from, ReadOnlySpan<byte> existing, WalkItem item)
    {
        var bytes = name.ToArray();
        var origin = existing.ToArray();
        return Create(item, () =>
        {
            if (!from.TryStatus(origin, out var target) || !target.IsRegular)
                throw new IOException($"its first name '{Catalog.CatalogPath.Display(item.Origin!.Path)}' was not restored as a regular file");
            if (directory.TryStatus(bytes, out var present) && present.SameInode(target)) return;
            Replacing(directory, bytes, () =>
            {
                directory.CreateHardlink(bytes, from, origin);
                return true;
            });
        });
    }

    private bool Create(WalkItem item, Action create)
    {
        try
        {
            create();
            return true;
        }
        catch (IOException e)
        {
            context.Warn(item.Display, e.Message);
            return false;
        }
    }

    /// <summary>Runs <paramref name="create"/>; when something is in the way, unlinks it (unless it is a directory) and runs it once more.</summary>
    private static T Replacing<T>(DirectoryHandle directory, byte[] name, Func<T> create)
    {
        try
        {
            return create();
        }
        catch (FileSystemException e) when (e.Errno == LibC.EEXIST)
        {
            if (directory.TryStatus(name, out var existing) && existing.IsDirectory)
                throw new IOException("a directory is in the way; it is left as it is");
            directory.Unlink(name);
            return create();
        }
    }
}
