namespace Bunker.Index.RocksDb;

internal static class KeyRange
{
    /// <summary>
    /// Writes the smallest key greater than every key that starts with <paramref name="prefix"/>
    /// and returns its length: the prefix with trailing 0xFF bytes dropped and the last byte
    /// incremented. Returns 0 (no upper bound) when the prefix is all 0xFF or empty.
    /// </summary>
    public static int PrefixSuccessor(ReadOnlySpan<byte> prefix, Span<byte> destination)
    {
        for (int i = prefix.Length - 1; i >= 0; i--)
        {
            if (prefix[i] == 0xFF)
                continue;
            prefix[..i].CopyTo(destination);
            destination[i] = (byte)(prefix[i] + 1);
            return i + 1;
        }
        return 0;
    }
}
