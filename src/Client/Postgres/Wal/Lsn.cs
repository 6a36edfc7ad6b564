using System.Globalization;

namespace Bunker.Client.Postgres.Wal;

/// <summary>
/// A WAL location (PostgreSQL's XLogRecPtr). Its text form is "X/Y": the high and low 32 bits in hex,
/// each 1 to 8 digits, as PostgreSQL prints it (upper case, no leading zeros); parsing accepts either case
/// because people type LSNs by hand (--target-lsn).
/// </summary>
public readonly record struct Lsn(ulong Value) : IComparable<Lsn>
{
    /// <summary>Parses "X/Y"; throws <see cref="FormatException"/> quoting the text when it is not an LSN.</summary>
    public static Lsn Parse(string text)
    {
        if (TryParse(text, out var lsn)) return lsn;
        throw new FormatException($"'{text}' is not a WAL location: expected two hex numbers of 1 to 8 digits separated by '/', e.g. 0/2000028 or 16/B374D848");
    }

    public static bool TryParse(string? text, out Lsn lsn) => TryParse(text.AsSpan(), out lsn);

    internal static bool TryParse(ReadOnlySpan<char> text, out Lsn lsn)
    {
        lsn = default;
        int slash = text.IndexOf('/');
        if (slash < 0) return false;
        if (!TryParseHalf(text[..slash], out uint high) || !TryParseHalf(text[(slash + 1)..], out uint low)) return false;
        lsn = new Lsn(((ulong)high << 32) | low);
        return true;
    }

    private static bool TryParseHalf(ReadOnlySpan<char> half, out uint value)
    {
        value = 0;
        // uint.TryParse with AllowHexSpecifier alone refuses signs and whitespace; the length check refuses
        // both the empty half and 9-digit halves such as "000000001", which PostgreSQL never prints.
        return half.Length is >= 1 and <= 8 && uint.TryParse(half, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{(uint)(Value >> 32):X}/{(uint)Value:X}");

    /// <summary>The number of the segment that holds this location.</summary>
    public ulong SegmentNumber(int segmentSize) => Value / (ulong)WalSegmentSize.Checked(segmentSize);

    public int CompareTo(Lsn other) => Value.CompareTo(other.Value);

    public static bool operator <(Lsn left, Lsn right) => left.Value < right.Value;
    public static bool operator >(Lsn left, Lsn right) => left.Value > right.Value;
    public static bool operator <=(Lsn left, Lsn right) => left.Value <= right.Value;
    public static bool operator >=(Lsn left, Lsn right) => left.Value >= right.Value;
}
