using System.Runtime.InteropServices;

namespace Bunker.Client.Files.Native;

/// <summary>A failed system call on a file: which call, the errno and its text ("open: Permission denied").</summary>
internal sealed class FileSystemException(string operation, int errno, string reason) : IOException($"{operation}: {reason}")
{
    /// <summary>A failure of <paramref name="operation"/> with glibc's text (strerror) for <paramref name="errno"/>.</summary>
    public FileSystemException(string operation, int errno) : this(operation, errno, Marshal.GetPInvokeErrorMessage(errno))
    {
    }

    public int Errno { get; } = errno;

    /// <summary>The error of the P/Invoke call that just failed, with glibc's text for its errno.</summary>
    public static FileSystemException Last(string operation) => new(operation, Marshal.GetLastPInvokeError());

    /// <summary>Throws for the last call's errno when <paramref name="result"/> is -1.</summary>
    public static void ThrowIfFailed(int result, string operation)
    {
        if (result == -1) throw Last(operation);
    }
}
