namespace Bunker.Client.Files.Native;

/// <summary>Byte paths as C strings: a copy with a NUL at the end, since managed byte arrays carry none.</summary>
internal static class NativePath
{
    /// <summary>Copies <paramref name="path"/> and a terminating NUL into <paramref name="destination"/>, which must hold Length + 1 bytes.</summary>
    public static Span<byte> Terminate(ReadOnlySpan<byte> path, Span<byte> destination)
    {
        if (path.Contains((byte)0)) throw new ArgumentException("A path cannot hold a NUL byte.", nameof(path));
        path.CopyTo(destination);
        destination[path.Length] = 0;
        return destination[..(path.Length + 1)];
    }

    /// <summary>Bytes that a path of this length needs as a C string: stack space for the usual ones, a heap array past that.</summary>
    public const int StackLimit = 1024;
}
