namespace Bunker.Client.Postgres.Tar;

/// <summary>Numeric header fields: octal text, or GNU base-256 (high bit of the first byte set) for values octal cannot hold.</summary>
internal static class TarNumber
{
    /// <summary>
    /// Octal digits, optionally led by spaces and ended by spaces or NULs (a field of only those is 0); or
    /// base-256, big-endian, after a first byte of 0x80. Negative values (0xFF) and values beyond a long are refused.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> field, out long value)
    {
        value = 0;
        if (field.IsEmpty) return false;
        if ((field[0] & 0x80) != 0) return TryParseBase256(field, out value);
        int i = 0;
        while (i < field.Length && field[i] == (byte)' ') i++;
        for (; i < field.Length && field[i] is >= (byte)'0' and <= (byte)'7'; i++)
        {
            // Twelve bytes of octal are 36 bits: no overflow is possible, but a field is only ever this long.
            value = (value << 3) | (long)(field[i] - '0');
        }
        for (; i < field.Length; i++)
        {
            if (field[i] is not ((byte)' ' or 0)) return false;
        }
        return true;
    }

    private static bool TryParseBase256(ReadOnlySpan<byte> field, out long value)
    {
        value = 0;
        if (field[0] != 0x80) return false;
        foreach (byte b in field[1..])
        {
            if (value > (long.MaxValue >> 8)) return false;
            value = (value << 8) | b;
        }
        return true;
    }
}
