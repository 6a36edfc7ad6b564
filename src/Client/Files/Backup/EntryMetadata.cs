using Bunker.Client.Files.Native;
using Bunker.Protocol.V1;
using Google.Protobuf;

namespace Bunker.Client.Files.Backup;

/// <summary>Turns what the walk found into a catalog entry's metadata: everything but the content's place in the payload.</summary>
internal sealed class EntryMetadata(OwnerNames owners)
{
    /// <summary>
    /// The entry for <paramref name="found"/>. atime is left out on purpose: listing a directory or reading a file
    /// moves it (relatime: once a day), so recording it would make every catalog differ from its parent's and
    /// re-upload it whole although nothing changed. For the same reason a directory above the roots has no times and
    /// no link count: /home or /tmp change with every file created beside the backed-up tree, which is not part of it.
    /// </summary>
    /// <param name="warning">Set when something of the entry could not be read (its xattrs, a symlink's target); the entry is still usable.</param>
    /// <exception cref="FileSystemException">A symlink's target cannot be read: the entry would be meaningless, so it is left out.</exception>
    public CatalogEntry Describe(WalkEntry found, out string? warning)
    {
        warning = null;
        var status = found.Status;
        var entry = new CatalogEntry
        {
            Path = ByteString.CopyFrom(found.CatalogPath),
            Type = status.Type,
            Mode = status.Mode,
            Uid = status.Uid,
            Gid = status.Gid,
            User = owners.User(status.Uid),
            Group = owners.Group(status.Gid),
            MtimeUnixNanos = found.AboveRoots ? 0 : status.MtimeNanos,
            CtimeUnixNanos = found.AboveRoots ? 0 : status.CtimeNanos,
            Device = status.Device,
            Inode = status.Inode,
            Links = found.AboveRoots ? 0 : status.Links,
        };
        switch (status.Type)
        {
            case EntryType.File:
                entry.Size = (ulong)status.Size;
                break;
            case EntryType.Symlink:
                entry.SymlinkTarget = ByteString.CopyFrom(NativeFiles.ReadLink(found.AbsolutePath));
                break;
            case EntryType.CharDevice:
            case EntryType.BlockDevice:
                entry.Rdev = status.Rdev;
                break;
        }
        try
        {
            foreach (var (name, value) in NativeFiles.ReadXattrs(found.AbsolutePath))
                entry.Xattrs.Add(new Xattr { Name = ByteString.CopyFrom(name), Value = ByteString.CopyFrom(value) });
        }
        catch (FileSystemException e)
        {
            warning = $"its extended attributes are left out: {e.Message}";
        }
        return entry;
    }

    /// <summary>Takes the identity and times of <paramref name="status"/> (the file as opened, when that differs from the walk's lstat).</summary>
    public void Refresh(CatalogEntry entry, in FileStatus status)
    {
        entry.Mode = status.Mode;
        entry.Uid = status.Uid;
        entry.Gid = status.Gid;
        entry.User = owners.User(status.Uid);
        entry.Group = owners.Group(status.Gid);
        entry.MtimeUnixNanos = status.MtimeNanos;
        entry.CtimeUnixNanos = status.CtimeNanos;
        entry.Device = status.Device;
        entry.Inode = status.Inode;
        entry.Links = status.Links;
        entry.Size = (ulong)status.Size;
    }
}
