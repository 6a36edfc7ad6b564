using System.Runtime.InteropServices;

namespace Bunker.Client.Files.Restore.Native;

/// <summary>A system call failed: what was being done, and the system's own words for why (strerror of errno).</summary>
internal sealed class PosixException(string operation, int errno)
    : IOException($"{operation}: {Marshal.GetPInvokeErrorMessage(errno)}")
{
    public const int NoEntry = 2;          // ENOENT
    public const int Exists = 17;          // EEXIST
    public const int NotDirectory = 20;    // ENOTDIR
    public const int IsDirectory = 21;     // EISDIR
    public const int TooManyLinks = 40;    // ELOOP: O_NOFOLLOW met a symlink
    public const int NotSupported = 95;    // EOPNOTSUPP

    public int Errno { get; } = errno;

    /// <summary>Throws for the last call's errno when <paramref name="result"/> is -1.</summary>
    public static void ThrowIfFailed(int result, string operation)
    {
        if (result == -1) throw new PosixException(operation, Marshal.GetLastPInvokeError());
    }
}
