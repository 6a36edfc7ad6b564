using System.Security.Cryptography;

namespace Bunker.Storage.Crypto;

/// <summary>
/// Secret bytes in a pinned array (so the GC never leaves copies behind when it compacts), zeroed
/// on <see cref="Dispose"/>. Reading them after disposal throws <see cref="ObjectDisposedException"/>
/// naming <paramref name="owner"/>.
/// </summary>
internal sealed class PinnedSecret(byte[] pinned, string owner) : IDisposable
{
    private bool _disposed;

    /// <summary>A new pinned array of <paramref name="length"/> zero bytes.</summary>
    public static byte[] Allocate(int length) => GC.AllocateArray<byte>(length, pinned: true);

    /// <summary>A pinned copy of <paramref name="bytes"/>.</summary>
    public static PinnedSecret Copy(ReadOnlySpan<byte> bytes, string owner)
    {
        byte[] copy = Allocate(bytes.Length);
        bytes.CopyTo(copy);
        return new PinnedSecret(copy, owner);
    }

    public ReadOnlySpan<byte> Span
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, owner);
            return pinned;
        }
    }

    public void Dispose()
    {
        _disposed = true;
        CryptographicOperations.ZeroMemory(pinned);
    }
}
