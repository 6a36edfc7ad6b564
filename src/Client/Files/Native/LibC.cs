using System.Runtime.InteropServices;

namespace Bunker.Client.Files.Native;

/// <summary>
/// The glibc calls a backup reads files with and a restore writes them with, on byte paths. .NET's own file APIs
/// take paths as strings and decode names as UTF-8, so a name that is not UTF-8 would not survive; these never
/// decode anything. Every path argument is a NUL-terminated byte string (see <see cref="NativePath"/>). Every call
/// that creates or changes an entry takes a directory descriptor and one name, so nothing a restore writes is
/// resolved through a path the catalog controls.
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

    /// <summary>UTIME_OMIT: leave this time as it is.</summary>
    public const long TimeOmit = (1L << 30) - 2;

    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int ENXIO = 6;
    public const int EEXIST = 17;
    public const int ENOTDIR = 20;
    public const int EINVAL = 22;
    public const int ERANGE = 34;
    /// <summary>ELOOP: O_NOFOLLOW met a symlink.</summary>
    public const int ELOOP = 40;
    public const int ENODATA = 61;
    public const int ENOTSUP = 95;

    public const int OReadOnly = 0;
    public const int OWriteOnly = 1;
    public const int OCreate = 0x40;
    public const int OExclusive = 0x80;
    public const int ONonBlock = 0x800;
    public const int ONoAtime = 0x40000;
    public const int OCloExec = 0x80000;
    // O_DIRECTORY and O_NOFOLLOW are the two flags whose values differ between x86-64 and arm.
    public static readonly int ODirectory = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x4000 : 0x10000;
    public static readonly int ONoFollow = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x8000 : 0x20000;

    // S_IFMT and the file types in it.
    public const uint TypeMask = 0xF000;
    public const uint TypeFifo = 0x1000;
    public const uint TypeCharDevice = 0x2000;
    public const uint TypeDirectory = 0x4000;
    public const uint TypeBlockDevice = 0x6000;
    public const uint TypeRegular = 0x8000;
    public const uint TypeSymlink = 0xA000;
    public const uint TypeSocket = 0xC000;

    // ---- Reading ----------------------------------------------------------------------------------------

    [LibraryImport(Library, EntryPoint = "statx", SetLastError = true)]
    public static partial int Statx(int dirfd, byte* path, int flags, uint mask, StatxBuffer* buffer);

    [LibraryImport(Library, EntryPoint = "statx", SetLastError = true)]
    public static partial int Statx(SafeHandle directory, byte* path, int flags, uint mask, StatxBuffer* buffer);

    [LibraryImport(Library, EntryPoint = "open", SetLastError = true)]
    public static partial int Open(byte* path, int flags);

    [LibraryImport(Library, EntryPoint = "openat", SetLastError = true)]
    public static partial int OpenAt(SafeHandle directory, byte* path, int flags, uint mode);

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

    [LibraryImport(Library, EntryPoint = "getpwnam_r", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int GetPwNamR(string name, byte* passwd, byte* buffer, nuint length, byte** result);

    // ---- Writing ----------------------------------------------------------------------------------------

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport(Library, EntryPoint = "mkdirat", SetLastError = true)]
    public static partial int MakeDirectoryAt(SafeHandle directory, byte* path, uint mode);

    [LibraryImport(Library, EntryPoint = "ftruncate", SetLastError = true)]
    public static partial int Truncate(SafeHandle descriptor, long length);

    [LibraryImport(Library, EntryPoint = "symlinkat", SetLastError = true)]
    public static partial int SymlinkAt(byte* target, SafeHandle directory, byte* path);

    [LibraryImport(Library, EntryPoint = "linkat", SetLastError = true)]
    public static partial int LinkAt(SafeHandle fromDirectory, byte* fromPath, SafeHandle toDirectory, byte* toPath, int flags);

    [LibraryImport(Library, EntryPoint = "mknodat", SetLastError = true)]
    public static partial int MakeNodeAt(SafeHandle directory, byte* path, uint mode, ulong device);

    [LibraryImport(Library, EntryPoint = "fchmodat", SetLastError = true)]
    public static partial int ChangeModeAt(SafeHandle directory, byte* path, uint mode, int flags);

    [LibraryImport(Library, EntryPoint = "fchmod", SetLastError = true)]
    public static partial int ChangeMode(SafeHandle descriptor, uint mode);

    [LibraryImport(Library, EntryPoint = "fchownat", SetLastError = true)]
    public static partial int ChangeOwnerAt(SafeHandle directory, byte* path, uint owner, uint group, int flags);

    /// <summary>lchown: changes the owner of the link itself, never of what a symlink points to.</summary>
    [LibraryImport(Library, EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ChangeOwnerNoFollow(string path, uint owner, uint group);

    [LibraryImport(Library, EntryPoint = "fchown", SetLastError = true)]
    public static partial int ChangeOwner(SafeHandle descriptor, uint owner, uint group);

    [LibraryImport(Library, EntryPoint = "utimensat", SetLastError = true)]
    public static partial int SetTimesAt(SafeHandle directory, byte* path, TimeSpec* times, int flags);

    [LibraryImport(Library, EntryPoint = "futimens", SetLastError = true)]
    public static partial int SetTimes(SafeHandle descriptor, TimeSpec* times);

    [LibraryImport(Library, EntryPoint = "fsetxattr", SetLastError = true)]
    public static partial int SetAttribute(SafeHandle descriptor, byte* name, byte* value, nuint size, int flags);

    [LibraryImport(Library, EntryPoint = "lsetxattr", SetLastError = true)]
    public static partial int SetLinkAttribute(byte* path, byte* name, byte* value, nuint size, int flags);

    [LibraryImport(Library, EntryPoint = "unlinkat", SetLastError = true)]
    public static partial int UnlinkAt(SafeHandle directory, byte* path, int flags);

    // ---- Process ----------------------------------------------------------------------------------------

    /// <summary>RLIMIT_NOFILE (the same on x86-64 and arm64).</summary>
    public const int LimitOpenFiles = 7;

    [StructLayout(LayoutKind.Sequential)]
    public struct ResourceLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [LibraryImport(Library, EntryPoint = "getrlimit", SetLastError = true)]
    public static partial int GetResourceLimit(int resource, ResourceLimit* limit);

    [LibraryImport(Library, EntryPoint = "geteuid")]
    public static partial uint GetEffectiveUserId();
}

/// <summary>struct statx (linux/stat.h): 256 bytes, the same on every architecture, unlike struct stat.</summary>
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
