namespace Bunker.Client.Files.Native;

/// <summary>Byte paths and names as C strings: a copy with a NUL at the end, since managed byte arrays carry none.</summary>
internal static class NativePath
{
    /// <summary>Bytes of stack a caller gives <see cref="Terminated"/>: any single name (NAME_MAX is 255) and most paths; a longer one goes to the heap.</summary>
    public const int StackSize = 1024;

    /// <summary>
    /// <paramref name="name"/> plus a NUL, in <paramref name="buffer"/> when it fits. Refuses a name that is
    /// not one component: every restore call works on one name inside a directory already opened without
    /// following symlinks, and that is what keeps a restore inside its target.
    /// </summary>
    public static ReadOnlySpan<byte> Component(ReadOnlySpan<byte> name, Span<byte> buffer)
    {
        if (name.IsEmpty || name.IndexOfAny((byte)'/', (byte)0) >= 0 || name.SequenceEqual("."u8) || name.SequenceEqual(".."u8))
            throw new ArgumentException($"'{Catalog.CatalogPath.Display(name)}' is not a single file name", nameof(name));
        return Terminated(name, buffer);
    }

    /// <summary><paramref name="bytes"/> (a path, a symlink target, an xattr name) plus a NUL, in <paramref name="buffer"/> when it fits; refuses an embedded NUL.</summary>
    public static ReadOnlySpan<byte> Terminated(ReadOnlySpan<byte> bytes, Span<byte> buffer)
    {
        if (bytes.IndexOf((byte)0) >= 0)
            throw new ArgumentException($"'{Catalog.CatalogPath.Display(bytes)}' holds a NUL byte", nameof(bytes));
        var target = bytes.Length < buffer.Length ? buffer : new byte[bytes.Length + 1];
        bytes.CopyTo(target);
        target[bytes.Length] = 0;
        return target[..(bytes.Length + 1)];
    }
}
