using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Bunker.Client.Files.Native;

/// <summary>
/// The system calls on byte paths that a backup reads files with. Each failure is a <see cref="FileSystemException"/>
/// naming the call and glibc's text for the errno; the caller decides whether that is a warning or an error.
/// </summary>
internal static unsafe class NativeFiles
{
    /// <summary>lstat: the file itself, a symlink not followed.</summary>
    public static FileStatus Lstat(ReadOnlySpan<byte> path) => Stat(path, LibC.AtSymlinkNoFollow, "lstat");

    /// <summary>stat: through symlinks (for the directories above a backup root, which are recorded as what they lead to).</summary>
    public static FileStatus StatFollowing(ReadOnlySpan<byte> path) => Stat(path, 0, "stat");

    private static FileStatus Stat(ReadOnlySpan<byte> path, int flags, string operation)
    {
        Span<byte> stack = stackalloc byte[NativePath.StackSize];
        var terminated = NativePath.Terminated(path, stack);
        StatxBuffer buffer;
        fixed (byte* p = terminated)
        {
            if (LibC.Statx(LibC.AtFdCwd, p, flags, LibC.StatxBasicStats, &buffer) != 0) throw FileSystemException.Last(operation);
        }
        return FileStatus.From(buffer);
    }

    /// <summary>fstat on an open file or directory; a failure is reported as <paramref name="operation"/>.</summary>
    public static FileStatus Fstat(SafeHandle file, string operation = "fstat")
    {
        StatxBuffer buffer;
        byte empty = 0;
        if (LibC.Statx(file, &empty, LibC.AtEmptyPath, LibC.StatxBasicStats, &buffer) != 0) throw FileSystemException.Last(operation);
        return FileStatus.From(buffer);
    }

    /// <summary>
    /// Opens a file for reading without following a symlink at its place, without blocking (a fifo swapped in after the
    /// lstat must not hang the backup), and without touching its atime when the kernel lets us (O_NOATIME needs the
    /// file's owner or CAP_FOWNER: EPERM otherwise, and then we open without it).
    /// </summary>
    public static SafeFileHandle OpenForReading(ReadOnlySpan<byte> path)
    {
        Span<byte> stack = stackalloc byte[NativePath.StackSize];
        var terminated = NativePath.Terminated(path, stack);
        int flags = LibC.OCloExec | LibC.ONoFollow | LibC.ONonBlock; // O_RDONLY is 0
        fixed (byte* p = terminated)
        {
            int fd = LibC.Open(p, flags | LibC.ONoAtime);
            if (fd < 0 && Marshal.GetLastPInvokeError() == LibC.EPERM)
                fd = LibC.Open(p, flags);
            if (fd < 0) throw FileSystemException.Last("open");
            return new SafeFileHandle(fd, ownsHandle: true);
        }
    }

    /// <summary>
    /// The data extents of an open file within [0, <paramref name="size"/>), from SEEK_DATA and SEEK_HOLE; null when the
    /// file system cannot tell (the file is then read as one dense run).
    /// </summary>
    public static List<(long Offset, long Length)>? DataExtents(SafeFileHandle file, long size)
    {
        var extents = new List<(long, long)>();
        bool added = false;
        try
        {
            file.DangerousAddRef(ref added);
            int fd = (int)file.DangerousGetHandle();
            long position = 0;
            while (position < size)
            {
                long data = LibC.LSeek(fd, position, LibC.SeekData);
                if (data < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == LibC.ENXIO) break; // no data past position: the rest is a hole
                    if (errno == LibC.EINVAL) return null;
                    throw FileSystemException.Last("lseek SEEK_DATA");
                }
                if (data >= size) break;
                long hole = LibC.LSeek(fd, data, LibC.SeekHole);
                if (hole < 0)
                {
                    if (Marshal.GetLastPInvokeError() != LibC.ENXIO) throw FileSystemException.Last("lseek SEEK_HOLE");
                    hole = size; // the file shrank under us; what is left is read as data
                }
                hole = Math.Min(hole, size);
                extents.Add((data, hole - data));
                position = hole;
            }
        }
        finally
        {
            if (added) file.DangerousRelease();
        }
        return extents;
    }

    /// <summary>The canonical absolute path, every symlink along it resolved (realpath(3)).</summary>
    public static byte[] RealPath(ReadOnlySpan<byte> path)
    {
        Span<byte> stack = stackalloc byte[NativePath.StackSize];
        var terminated = NativePath.Terminated(path, stack);
        byte* resolved;
        fixed (byte* p = terminated)
        {
            resolved = LibC.RealPath(p, null);
        }
        if (resolved is null) throw FileSystemException.Last("realpath");
        try
        {
            return MemoryMarshal.CreateReadOnlySpanFromNullTerminated(resolved).ToArray();
        }
        finally
        {
            LibC.Free(resolved);
        }
    }

    /// <summary>A symlink's target, as the bytes stored (never resolved).</summary>
    public static byte[] ReadLink(ReadOnlySpan<byte> path)
    {
        Span<byte> stack = stackalloc byte[NativePath.StackSize];
        var terminated = NativePath.Terminated(path, stack);
        for (int size = 256; ; size *= 4)
        {
            var buffer = new byte[size];
            nint length;
            fixed (byte* p = terminated)
            fixed (byte* b = buffer)
            {
                length = LibC.ReadLink(p, b, (nuint)size);
            }
            if (length < 0) throw FileSystemException.Last("readlink");
            if (length < size) return buffer.AsSpan(0, (int)length).ToArray();
        }
    }

    /// <summary>
    /// Every extended attribute that can be listed and read, sorted by name. A file system without xattrs, or with
    /// none on this file, gives an empty list; a refusal (EACCES) is thrown, so the caller can warn.
    /// </summary>
    public static List<(byte[] Name, byte[] Value)> ReadXattrs(ReadOnlySpan<byte> path)
    {
        var result = new List<(byte[], byte[])>();
        Span<byte> stack = stackalloc byte[NativePath.StackSize];
        var terminated = NativePath.Terminated(path, stack);
        fixed (byte* p = terminated)
        {
            var list = ReadSized(p, null);
            if (list is null) return result;
            int start = 0;
            while (start < list.Length)
            {
                int end = Array.IndexOf(list, (byte)0, start);
                if (end < 0) end = list.Length;
                if (end > start)
                {
                    var name = list.AsSpan(start, end - start + 1).ToArray(); // with its NUL, for the call
                    byte[]? value;
                    fixed (byte* n = name)
                    {
                        value = ReadSized(p, n);
                    }
                    // Null: the attribute went away between the list and the read.
                    if (value is not null) result.Add((name[..^1], value));
                }
                start = end + 1;
            }
        }
        result.Sort(static (a, b) => a.Item1.AsSpan().SequenceCompareTo(b.Item1));
        return result;
    }

    /// <summary>
    /// The size-then-read dance of llistxattr (<paramref name="name"/> null) and lgetxattr, retried while the value
    /// grows between the two calls (ERANGE). Null when there is nothing to read: no xattr support (ENOTSUP) or no such
    /// attribute (ENODATA).
    /// </summary>
    private static byte[]? ReadSized(byte* path, byte* name)
    {
        string operation = name is null ? "llistxattr" : "lgetxattr";
        while (true)
        {
            nint size = Call(path, name, null, 0);
            if (size < 0) return NothingOrThrow(operation);
            if (size == 0) return [];
            var buffer = new byte[size];
            nint length;
            fixed (byte* b = buffer)
            {
                length = Call(path, name, b, (nuint)size);
            }
            if (length >= 0) return length == size ? buffer : buffer.AsSpan(0, (int)length).ToArray();
            if (Marshal.GetLastPInvokeError() == LibC.ERANGE) continue;
            return NothingOrThrow(operation);
        }
    }

    private static nint Call(byte* path, byte* name, byte* buffer, nuint size) =>
        name is null ? LibC.LListXattr(path, buffer, size) : LibC.LGetXattr(path, name, buffer, size);

    private static byte[]? NothingOrThrow(string operation)
    {
        int errno = Marshal.GetLastPInvokeError();
        if (errno is LibC.ENOTSUP or LibC.ENODATA) return null;
        throw FileSystemException.Last(operation);
    }
}
