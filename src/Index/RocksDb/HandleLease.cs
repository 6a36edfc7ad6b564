using System.Runtime.InteropServices;

namespace Bunker.Index.RocksDb;

/// <summary>
/// Holds a reference on a handle while its raw pointer is in use, so a concurrent Dispose defers
/// the native destroy instead of freeing the object under a running call. A struct, so a lease
/// costs no allocation on the hot paths.
/// </summary>
internal readonly struct HandleLease : IDisposable
{
    private readonly SafeHandle _handle;

    /// <exception cref="ObjectDisposedException">The handle is already closed.</exception>
    public HandleLease(SafeHandle handle)
    {
        bool added = false;
        handle.DangerousAddRef(ref added);
        _handle = handle;
    }

    public nint Pointer => _handle.DangerousGetHandle();

    public void Dispose() => _handle.DangerousRelease();
}
