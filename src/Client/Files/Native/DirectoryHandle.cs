using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Bunker.Client.Files.Native;

/// <summary>
/// An open directory, and everything a restore does to the entries in it. Each operation takes one
/// name (never a path) relative to this descriptor, and none follows a symlink at that name, so an
/// entry can only ever be created in the directory this handle was opened on.
/// </summary>
internal sealed unsafe class DirectoryHandle : SafeHandleMinusOneIsInvalid
{
    public DirectoryHandle() : base(ownsHandle: true)
    {
    }

    private DirectoryHandle(int descriptor) : base(ownsHandle: true) => SetHandle(descriptor);

    protected override bool ReleaseHandle() => LibC.Close((int)handle) == 0;

    /// <summary>Opens the restore target itself. It is the user's own choice of directory, so a symlink to it is followed.</summary>
    public static DirectoryHandle OpenTarget(string path)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(path);
        Span<byte> buffer = stackalloc byte[NativePath.StackSize];
        fixed (byte* p = NativePath.Terminated(bytes, buffer))
        {
            int descriptor = LibC.Open(p, LibC.OReadOnly | LibC.ODirectory | LibC.OCloExec);
            FileSystemException.ThrowIfFailed(descriptor, $"open target directory {path}");
            return new DirectoryHandle(descriptor);
        }
    }

    /// <summary>Opens the directory <paramref name="name"/>; ELOOP or ENOTDIR when it is a symlink or not a directory (never followed).</summary>
    public DirectoryHandle OpenDirectory(ReadOnlySpan<byte> name)
    {
        int descriptor = OpenAt(name, LibC.OReadOnly | LibC.ODirectory | LibC.ONoFollow | LibC.OCloExec, 0, "open directory");
        return new DirectoryHandle(descriptor);
    }

    public void MakeDirectory(ReadOnlySpan<byte> name, uint mode)
    {
        Span<byte> buffer = stackalloc byte[NativePath.StackSize];
        fixed (byte* p = NativePath.Component(name, buffer))
            FileSystemException.ThrowIfFailed(LibC.MakeDirectoryAt(this, p, mode), "mkdir");
    }

    /// <summary>Creates a new regular file for writing; EEXIST when anything is there already (nothing existing is ever opened for writing).</summary>
    public SafeFileHandle CreateFile(ReadOnlySpan<byte> name, uint mode)
    {
        int flags = LibC.OWriteOnly | LibC.OCreate | LibC.OExclusive | LibC.ONoFollow | LibC.OCloExec;
        return new SafeFileHandle(OpenAt(name, flags, mode, "create"), ownsHandle: true);
    }

    /// <summary>
    /// Opens a file for reading without following a symlink, and without blocking should a fifo have taken
    /// its place; the caller checks that it is a regular file (<see cref="HandleMetadata.Status"/>).
    /// </summary>
    public SafeFileHandle OpenFileForReading(ReadOnlySpan<byte> name)
    {
        int flags = LibC.OReadOnly | LibC.ONoFollow | LibC.ONonBlock | LibC.OCloExec;
        return new SafeFileHandle(OpenAt(name, flags, 0, "open"), ownsHandle: true);
    }

    private int OpenAt(ReadOnlySpan<byte> name, int flags, uint mode, string operation)
    {
        Span<byte> buffer = stackalloc byte[NativePath.StackSize];
        fixed (byte* p = NativePath.Component(name, buffer))
        {
            int descriptor = LibC.OpenAt(this, p, flags, mode);
            FileSystemException.ThrowIfFailed(descriptor, operation);
            return descriptor;
        }
    }

    public void CreateSymlink(ReadOnlySpan<byte> name, ReadOnlySpan<byte> target)
    {
        Span<byte> nameBuffer = stackalloc byte[NativePath.StackSize];
        Span<byte> targetBuffer = stackalloc byte[NativePath.StackSize];
        fixed (byte* n = NativePath.Component(name, nameBuffer))
        fixed (byte* t = NativePath.Terminated(target, targetBuffer))
            FileSystemException.ThrowIfFailed(LibC.SymlinkAt(t, this, n), "symlink");
    }

    /// <summary>A hardlink <paramref name="name"/> here to <paramref name="existing"/> in <paramref name="from"/>; a symlink there is linked, not followed.</summary>
    public void CreateHardlink(ReadOnlySpan<byte> name, DirectoryHandle from, ReadOnlySpan<byte> existing)
    {
        Span<byte> nameBuffer = stackalloc byte[NativePath.StackSize];
        Span<byte> existingBuffer = stackalloc byte[NativePath.StackSize];
        fixed (byte* n = NativePath.Component(name, nameBuffer))
        fixed (byte* e = NativePath.Component(existing, existingBuffer))
            FileSystemException.ThrowIfFailed(LibC.LinkAt(from, e, this, n, 0), "link");
    }

    /// <summary>A fifo, socket or device node; <paramref name="mode"/> carries the type bits.</summary>
    public void CreateNode(ReadOnlySpan<byte> name, uint mode, ulong device)
    {
        Span<byte> buffer = stackalloc byte[NativePath.StackSize];
        fixed (byte* p = NativePath.Component(name, buffer))
            FileSystemException.ThrowIfFailed(LibC.MakeNodeAt(this, p, mode, device), "mknod");
    }

    /// <summary>Removes a non-directory entry (a directory is EISDIR: nothing is ever removed recursively).</summary>
    public void Unlink(ReadOnlySpan<byte> name)
    {
        Span<byte> buffer = stackalloc byte[NativePath.StackSize];
        fixed (byte* p = NativePath.Component(name, buffer))
            FileSystemException.ThrowIfFailed(LibC.UnlinkAt(this, p, 0), "unlink");
    }

    /// <summary>lstat of <paramref name="name"/>; false when there is nothing by that name.</summary>
    public bool TryStatus(ReadOnlySpan<byte> name, out FileStatus status)
    {
        Span<byte> buffer = stackalloc byte[NativePath.StackSize];
        StatxBuffer result;
        fixed (byte* p = NativePath.Component(name, buffer))
        {
            if (LibC.Statx(this, p, LibC.AtSymlinkNoFollow, LibC.StatxBasicStats, &result) == -1)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == LibC.ENOENT)
                {
                    status = default;
                    return false;
                }
                throw new FileSystemException("stat", errno);
            }
        }
        status = FileStatus.From(result);
        return true;
    }

    // ---- Metadata of an entry that cannot be opened (symlinks, fifos, devices) -------------------------

    public void SetOwner(ReadOnlySpan<byte> name, uint uid, uint gid)
    {
        Span<byte> buffer = stackalloc byte[NativePath.StackSize];
        fixed (byte* p = NativePath.Component(name, buffer))
            FileSystemException.ThrowIfFailed(LibC.ChangeOwnerAt(this, p, uid, gid, LibC.AtSymlinkNoFollow), "chown");
    }

    public void SetMode(ReadOnlySpan<byte> name, uint mode)
    {
        Span<byte> buffer = stackalloc byte[NativePath.StackSize];
        fixed (byte* p = NativePath.Component(name, buffer))
            FileSystemException.ThrowIfFailed(LibC.ChangeModeAt(this, p, mode, LibC.AtSymlinkNoFollow), "chmod");
    }

    public void SetTimes(ReadOnlySpan<byte> name, long accessNanoseconds, long modifyNanoseconds)
    {
        Span<byte> buffer = stackalloc byte[NativePath.StackSize];
        var times = stackalloc LibC.TimeSpec[2];
        HandleMetadata.FillTimes(times, accessNanoseconds, modifyNanoseconds);
        fixed (byte* p = NativePath.Component(name, buffer))
            FileSystemException.ThrowIfFailed(LibC.SetTimesAt(this, p, times, LibC.AtSymlinkNoFollow), "utimensat");
    }

    /// <summary>
    /// An xattr on the entry itself, never on what a symlink points at. lsetxattr takes a path, so the path
    /// goes through this descriptor's /proc/self/fd link: the directory is the one already opened, and the
    /// last component is not followed.
    /// </summary>
    public void SetAttribute(ReadOnlySpan<byte> name, ReadOnlySpan<byte> attribute, ReadOnlySpan<byte> value)
    {
        Span<byte> nameBuffer = stackalloc byte[NativePath.StackSize];
        NativePath.Component(name, nameBuffer);
        var prefix = System.Text.Encoding.ASCII.GetBytes($"/proc/self/fd/{DangerousGetHandle()}/");
        var path = new byte[prefix.Length + name.Length];
        prefix.CopyTo(path, 0);
        name.CopyTo(path.AsSpan(prefix.Length));
        Span<byte> pathBuffer = stackalloc byte[NativePath.StackSize];
        Span<byte> attributeBuffer = stackalloc byte[NativePath.StackSize];
        bool added = false;
        try
        {
            // The descriptor number is in the path: keep it from being closed and reused meanwhile.
            DangerousAddRef(ref added);
            fixed (byte* p = NativePath.Terminated(path, pathBuffer))
            fixed (byte* a = NativePath.Terminated(attribute, attributeBuffer))
            fixed (byte* v = value)
                FileSystemException.ThrowIfFailed(LibC.SetLinkAttribute(p, a, v, (nuint)value.Length, 0), "lsetxattr");
        }
        finally
        {
            if (added) DangerousRelease();
        }
    }
}
