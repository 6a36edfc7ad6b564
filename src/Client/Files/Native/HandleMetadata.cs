using System.Runtime.InteropServices;

namespace Bunker.Client.Files.Native;

/// <summary>Size and metadata of an entry through its own open descriptor (a file being restored, or a directory).</summary>
internal static unsafe class HandleMetadata
{
    /// <summary>Sets the size; bytes never written past what was there read as zeros and take no space (holes).</summary>
    public static void Truncate(SafeHandle handle, long size) => FileSystemException.ThrowIfFailed(LibC.Truncate(handle, size), "ftruncate");

    public static void SetOwner(SafeHandle handle, uint uid, uint gid) => FileSystemException.ThrowIfFailed(LibC.ChangeOwner(handle, uid, gid), "chown");

    public static void SetMode(SafeHandle handle, uint mode) => FileSystemException.ThrowIfFailed(LibC.ChangeMode(handle, mode), "chmod");

    public static void SetTimes(SafeHandle handle, long accessNanoseconds, long modifyNanoseconds)
    {
        var times = stackalloc LibC.TimeSpec[2];
        FillTimes(times, accessNanoseconds, modifyNanoseconds);
        FileSystemException.ThrowIfFailed(LibC.SetTimes(handle, times), "futimens");
    }

    public static void SetAttribute(SafeHandle handle, ReadOnlySpan<byte> attribute, ReadOnlySpan<byte> value)
    {
        Span<byte> buffer = stackalloc byte[NativePath.StackSize];
        fixed (byte* a = NativePath.Terminated(attribute, buffer))
        fixed (byte* v = value)
            FileSystemException.ThrowIfFailed(LibC.SetAttribute(handle, a, v, (nuint)value.Length, 0), "fsetxattr");
    }

    public static FileStatus Status(SafeHandle handle) => NativeFiles.Fstat(handle, "stat");

    /// <summary>Access and modification times as utimensat wants them; an access time of 0 (not recorded) is left alone.</summary>
    internal static void FillTimes(LibC.TimeSpec* times, long accessNanoseconds, long modifyNanoseconds)
    {
        times[0] = accessNanoseconds == 0 ? new LibC.TimeSpec { Nanoseconds = LibC.TimeOmit } : ToTimeSpec(accessNanoseconds);
        times[1] = ToTimeSpec(modifyNanoseconds);
    }

    private static LibC.TimeSpec ToTimeSpec(long nanoseconds) => new()
    {
        // Floor division, so that times before 1970 keep a nanosecond part in [0, 1e9).
        Seconds = Math.DivRem(nanoseconds, 1_000_000_000L, out long rest) - (rest < 0 ? 1 : 0),
        Nanoseconds = rest < 0 ? rest + 1_000_000_000L : rest,
    };

    public static bool IsRoot { get; } = LibC.GetEffectiveUserId() == 0;

    /// <summary>How many descriptors this process may have open (the soft RLIMIT_NOFILE, which .NET raises to the hard one at start).</summary>
    public static long OpenFilesLimit()
    {
        LibC.ResourceLimit limit;
        return LibC.GetResourceLimit(LibC.LimitOpenFiles, &limit) == 0 ? (long)Math.Min(limit.Current, int.MaxValue) : 1024;
    }
}
