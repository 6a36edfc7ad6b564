using System.Runtime.InteropServices;

namespace Bunker.Client.Files.Restore.Native;

/// <summary>
/// The glibc calls a restore writes with. Every path argument is a NUL-terminated byte string, never
/// marshalled text: names need not be UTF-8. Every call that creates or changes an entry takes a
/// directory descriptor and one name, so nothing is resolved through a path the catalog controls.
/// </summary>
internal static unsafe partial class LibC
{
    private const string Library = "libc.so.6";

    public const int OpenReadOnly = 0;
    public const int OpenWriteOnly = 1;
    public const int OpenCreate = 0x40;
    public const int OpenExclusive = 0x80;
    public const int OpenNonBlocking = 0x800;
    public const int OpenCloseOnExec = 0x80000;

    // O_DIRECTORY and O_NOFOLLOW are the two flags whose values differ between x86-64 and arm64.
    public static readonly int OpenDirectory = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x4000 : 0x10000;
    public static readonly int OpenNoFollow = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x8000 : 0x20000;

    public const int AtSymlinkNoFollow = 0x100;
    public const int AtEmptyPath = 0x1000;

    /// <summary>UTIME_OMIT: leave this time as it is.</summary>
    public const long TimeOmit = (1L << 30) - 2;

    public const uint TypeMask = 0xF000;
    public const uint TypeFifo = 0x1000;
    public const uint TypeCharDevice = 0x2000;
    public const uint TypeDirectory = 0x4000;
    public const uint TypeBlockDevice = 0x6000;
    public const uint TypeRegular = 0x8000;
    public const uint TypeSymlink = 0xA000;
    public const uint TypeSocket = 0xC000;

    public const uint StatxBasicStats = 0x7ff;

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport(Library, EntryPoint = "openat", SetLastError = true)]
    public static partial int OpenAt(SafeHandle directory, byte* path, int flags, uint mode);

    [LibraryImport(Library, EntryPoint = "open", SetLastError = true)]
    public static partial int Open(byte* path, int flags, uint mode);

    [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int descriptor);

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

    [LibraryImport(Library, EntryPoint = "statx", SetLastError = true)]
    public static partial int Statx(SafeHandle directory, byte* path, int flags, uint mask, StatxBuffer* buffer);

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

    /// <summary>struct statx from linux/stat.h: the same layout on every architecture, unlike struct stat.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    public struct StatxBuffer
    {
        [FieldOffset(16)] public uint Links;
        [FieldOffset(20)] public uint Uid;
        [FieldOffset(24)] public uint Gid;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(32)] public ulong Inode;
        [FieldOffset(40)] public ulong Size;
        [FieldOffset(48)] public ulong Blocks;
        [FieldOffset(64)] public long AccessSeconds;
        [FieldOffset(72)] public uint AccessNanoseconds;
        [FieldOffset(112)] public long ModifySeconds;
        [FieldOffset(120)] public uint ModifyNanoseconds;
        [FieldOffset(128)] public uint RdevMajor;
        [FieldOffset(132)] public uint RdevMinor;
        [FieldOffset(136)] public uint DevMajor;
        [FieldOffset(140)] public uint DevMinor;
    }
}
