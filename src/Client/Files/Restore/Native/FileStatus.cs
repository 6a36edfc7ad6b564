namespace Bunker.Client.Files.Restore.Native;

/// <summary>What lstat says about an entry (through statx, whose layout is the same on every architecture).</summary>
internal readonly record struct FileStatus(uint Mode, ulong Size, long ModifiedNanoseconds, ulong Device, ulong Inode, uint Links, ulong Blocks)
{
    public uint Type => Mode & LibC.TypeMask;
    public bool IsDirectory => Type == LibC.TypeDirectory;
    public bool IsRegular => Type == LibC.TypeRegular;
    public bool IsSymlink => Type == LibC.TypeSymlink;

    public bool SameInode(in FileStatus other) => Device == other.Device && Inode == other.Inode;

    internal static FileStatus From(in LibC.StatxBuffer buffer) => new(
        buffer.Mode,
        buffer.Size,
        buffer.ModifySeconds * 1_000_000_000L + buffer.ModifyNanoseconds,
        ((ulong)buffer.DevMajor << 32) | buffer.DevMinor,
        buffer.Inode,
        buffer.Links,
        buffer.Blocks);
}
