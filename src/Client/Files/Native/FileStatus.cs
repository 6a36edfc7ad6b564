using Bunker.Protocol.V1;

namespace Bunker.Client.Files.Native;

/// <summary>What lstat/fstat tell about one file, with nanosecond times and glibc's dev_t encoding of device numbers.</summary>
internal readonly record struct FileStatus(
    EntryType Type,
    uint Mode,
    uint Uid,
    uint Gid,
    long Size,
    long Blocks,
    long AtimeNanos,
    long MtimeNanos,
    long CtimeNanos,
    ulong Inode,
    ulong Device,
    ulong Links,
    ulong Rdev)
{
    public bool IsDirectory => Type == EntryType.Directory;
    public bool IsRegular => Type == EntryType.File;
    public bool IsSymlink => Type == EntryType.Symlink;

    /// <summary>The same inode: another name for this file (a hardlink), or this file itself.</summary>
    public bool SameInode(in FileStatus other) => Device == other.Device && Inode == other.Inode;

    /// <summary>
    /// Fewer blocks than the size needs: the file may have holes, so asking for its data extents is worth two
    /// lseeks per extent. A dense file is read as one run without asking.
    /// </summary>
    public bool MayBeSparse => Blocks * 512 < Size;

    internal static FileStatus From(in StatxBuffer s) => new(
        TypeOf(s.Mode),
        s.Mode & 0xFFFu, // permission bits with setuid, setgid and sticky
        s.Uid,
        s.Gid,
        (long)s.Size,
        (long)s.Blocks,
        Nanos(s.Atime),
        Nanos(s.Mtime),
        Nanos(s.Ctime),
        s.Inode,
        MakeDevice(s.DevMajor, s.DevMinor),
        s.Links,
        MakeDevice(s.RdevMajor, s.RdevMinor));

    private static EntryType TypeOf(uint mode) => (mode & LibC.TypeMask) switch
    {
        LibC.TypeRegular => EntryType.File,
        LibC.TypeDirectory => EntryType.Directory,
        LibC.TypeSymlink => EntryType.Symlink,
        LibC.TypeFifo => EntryType.Fifo,
        LibC.TypeCharDevice => EntryType.CharDevice,
        LibC.TypeBlockDevice => EntryType.BlockDevice,
        LibC.TypeSocket => EntryType.Socket,
        _ => EntryType.Unspecified,
    };

    /// <summary>
    /// Nanoseconds since the epoch. A time beyond what an int64 holds (before 1677 or after 2262, which a touch -d
    /// can set) is clamped rather than wrapped, so it stays on the right side of every other time.
    /// </summary>
    private static long Nanos(in StatxTimestamp t)
    {
        const long Limit = long.MaxValue / 1_000_000_000 - 1;
        if (t.Seconds > Limit) return long.MaxValue;
        if (t.Seconds < -Limit) return long.MinValue;
        return t.Seconds * 1_000_000_000 + t.Nanoseconds;
    }

    /// <summary>glibc's gnu_dev_makedev: the dev_t that stat(2) reports and mknod(2) takes.</summary>
    public static ulong MakeDevice(uint major, uint minor) =>
        ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8) | ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);
}
