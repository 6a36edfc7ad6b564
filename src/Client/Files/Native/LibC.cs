using System.Runtime.InteropServices;

namespace Bunker.Client.Files.Native;

/// <summary>
/// The glibc calls the file source needs, on byte paths. .NET's own file APIs take paths as strings and decode
/// names as UTF-8, so a name that is not UTF-8 would not survive; these never decode anything.
/// Every path argument is a NUL-terminated byte string (see <see cref="NativePath"/>).
/// </summary>
internal static unsafe partial class LibC
{
    private const string Library = "libc.so.6";

    public const int AtFdCwd = -100;
    public const int AtSymlinkNoFollow = 0x100;
    public const int AtEmptyPath = 0x1000;
    /// <summary>STATX_BASIC_STATS: type, mode, nlink, uid, gid, times, ino, size, blocks.</summary>
    public const uint StatxBasicStats = 0x7ff;

    public const int SeekData = 3;
    public const int SeekHole = 4;

    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int ENXIO = 6;
    public const int EACCES = 13;
    public const int EINVAL = 22;
    public const int ERANGE = 34;
    public const int ENODATA = 61;
    public const int ENOTSUP = 95;

    // open(2) flags differ between architectures (arm64 moved O_DIRECTORY and O_NOFOLLOW).
    public static readonly int ONonBlock = 0x800;
    public static readonly int OCloExec = 0x80000;
    public static readonly int ONoAtime = 0x40000;
    public static readonly int ODirectory = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x4000 : 0x10000;
    public static readonly int ONoFollow = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x8000 : 0x20000;

    [LibraryImport(Library, EntryPoint = "statx", SetLastError = true)]
    public static partial int Statx(int dirfd, byte* path, int flags, uint mask, StatxBuffer* buffer);

    [LibraryImport(Library, EntryPoint = "open", SetLastError = true)]
    public static partial int Open(byte* path, int flags);

    [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport(Library, EntryPoint = "getdents64", SetLastError = true)]
    public static partial nint GetDents64(int fd, byte* buffer, nuint length);

    [LibraryImport(Library, EntryPoint = "lseek", SetLastError = true)]
    public static partial long LSeek(int fd, long offset, int whence);

    [LibraryImport(Library, EntryPoint = "readlink", SetLastError = true)]
    public static partial nint ReadLink(byte* path, byte* buffer, nuint size);

    [LibraryImport(Library, EntryPoint = "llistxattr", SetLastError = true)]
    public static partial nint LListXattr(byte* path, byte* list, nuint size);

    [LibraryImport(Library, EntryPoint = "lgetxattr", SetLastError = true)]
    public static partial nint LGetXattr(byte* path, byte* name, byte* value, nuint size);

    /// <summary>With a null buffer, returns a malloc'd canonical path (free it with <see cref="Free"/>), or null.</summary>
    [LibraryImport(Library, EntryPoint = "realpath", SetLastError = true)]
    public static partial byte* RealPath(byte* path, byte* resolved);

    [LibraryImport(Library, EntryPoint = "free")]
    public static partial void Free(void* pointer);

    /// <summary>Returns an error number (not errno); *result is null when the id has no entry.</summary>
    [LibraryImport(Library, EntryPoint = "getpwuid_r")]
    public static partial int GetPwUidR(uint uid, byte* passwd, byte* buffer, nuint length, byte** result);

    [LibraryImport(Library, EntryPoint = "getgrgid_r")]
    public static partial int GetGrGidR(uint gid, byte* group, byte* buffer, nuint length, byte** result);
}

/// <summary>struct statx (linux/stat.h): 256 bytes, the same on every architecture.</summary>
[StructLayout(LayoutKind.Sequential, Size = 256)]
internal struct StatxBuffer
{
    public uint Mask;
    public uint BlockSize;
    public ulong Attributes;
    public uint Links;
    public uint Uid;
    public uint Gid;
    public ushort Mode;
    private ushort _spare0;
    public ulong Inode;
    public ulong Size;
    public ulong Blocks;
    public ulong AttributesMask;
    public StatxTimestamp Atime;
    public StatxTimestamp Btime;
    public StatxTimestamp Ctime;
    public StatxTimestamp Mtime;
    public uint RdevMajor;
    public uint RdevMinor;
    public uint DevMajor;
    public uint DevMinor;
}

[StructLayout(LayoutKind.Sequential)]
internal struct StatxTimestamp
{
    public long Seconds;
    public uint Nanoseconds;
    private int _reserved;
}
