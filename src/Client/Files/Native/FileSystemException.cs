using System.Runtime.InteropServices;

namespace Bunker.Client.Files.Native;

/// <summary>A failed system call on a file: which call, the errno and its text ("open: Permission denied").</summary>
internal sealed class FileSystemException(string operation, int errno, string reason) : IOException($"{operation}: {reason}")
{
    public string Operation { get; } = operation;
    public int Errno { get; } = errno;

    /// <summary>The error of the P/Invoke call that just failed, with glibc's text for its errno.</summary>
    public static FileSystemException Last(string operation) =>
        new(operation, Marshal.GetLastPInvokeError(), Marshal.GetLastPInvokeErrorMessage());
}
