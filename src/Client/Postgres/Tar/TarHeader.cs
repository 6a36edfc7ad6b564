using Bunker.Client.Files.Catalog;

namespace Bunker.Client.Postgres.Tar;

/// <summary>
/// One 512-byte ustar header block, checked and decoded: the fields an extraction uses (name, type, size, mode,
/// mtime). Owner ids and names are not read, since the owner of what is extracted comes from the options.
/// </summary>
internal readonly record struct TarHeader(byte[] Name, byte Type, long Size, int Mode, long ModifiedSeconds)
{
    public const int BlockSize = 512;

    public const byte RegularFile = (byte)'0';
    public const byte OldRegularFile = 0;
    public const byte HardLink = (byte)'1';
    public const byte Symlink = (byte)'2';
    public const byte CharacterDevice = (byte)'3';
    public const byte BlockDevice = (byte)'4';
    public const byte Directory = (byte)'5';
    public const byte Fifo = (byte)'6';
    public const byte PaxExtended = (byte)'x';
    public const byte PaxGlobal = (byte)'g';
    public const byte GnuLongName = (byte)'L';
    public const byte GnuLongLinkName = (byte)'K';

    // Field offsets and lengths (POSIX ustar).
    private const int NameLength = 100;
    private const int ModeOffset = 100;
    private const int SizeOffset = 124;
    private const int MtimeOffset = 136;
    private const int ChecksumOffset = 148;
    private const int ChecksumLength = 8;
    private const int TypeOffset = 156;
    private const int MagicOffset = 257;
    private const int PrefixOffset = 345;
    private const int PrefixLength = 155;

    // A time in seconds beyond this cannot be held in nanoseconds as a long.
    private const long MaxSeconds = long.MaxValue / 1_000_000_000L;

    public bool IsRegularFile => Type is RegularFile or OldRegularFile;

    /// <summary>Decodes <paramref name="block"/>, which is not all zeros; <paramref name="offset"/> (in the stream) is for messages.</summary>
    public static TarHeader Parse(ReadOnlySpan<byte> block, long offset)
    {
        var name = UstarName(block);
        if (!TarNumber.TryParse(block.Slice(ChecksumOffset, ChecksumLength), out long recorded) || !ChecksumMatches(block, recorded))
            throw Refused(name, offset, "the header checksum does not match; the stream is not a tar archive or is damaged");
        bool posix = block.Slice(MagicOffset, 8).SequenceEqual("ustar\0"u8 + "00"u8);
        bool gnu = block.Slice(MagicOffset, 8).SequenceEqual("ustar  \0"u8);
        if (!posix && !gnu)
            throw Refused(name, offset, "not a ustar or GNU tar header (unknown magic)");
        if (posix)
        {
            // POSIX ustar splits a long name into prefix + '/' + name; GNU headers use those bytes for other fields.
            var prefix = UntilNul(block.Slice(PrefixOffset, PrefixLength));
            if (!prefix.IsEmpty) name = CatalogPath.Join(prefix, name);
        }
        if (!TarNumber.TryParse(block.Slice(SizeOffset, 12), out long size)) throw NotANumber(name, offset, "size");
        if (!TarNumber.TryParse(block.Slice(ModeOffset, 8), out long mode)) throw NotANumber(name, offset, "mode");
        if (!TarNumber.TryParse(block.Slice(MtimeOffset, 12), out long mtime)) throw NotANumber(name, offset, "mtime");
        if (mtime > MaxSeconds) throw Refused(name, offset, $"the mtime {mtime} is out of range");
        return new TarHeader(name, block[TypeOffset], size, (int)(mode & 0xFFF), mtime);
    }

    public static bool IsZeroBlock(ReadOnlySpan<byte> block) => !block.ContainsAnyExcept((byte)0);

    private static TarFormatException NotANumber(byte[] name, long offset, string field) =>
        Refused(name, offset, $"the {field} field is not a number (neither octal nor base-256)");

    private static TarFormatException Refused(byte[] name, long offset, string what) =>
        new($"tar member '{CatalogPath.Display(name)}' (header at offset {offset}): {what}");

    // The checksum is the sum of all header bytes with its own field read as spaces. Some old writers summed
    // signed chars, so that sum is accepted too (as GNU tar does).
    private static bool ChecksumMatches(ReadOnlySpan<byte> block, long recorded)
    {
        long unsigned = 8 * ' ', signed = 8 * ' ';
        for (int i = 0; i < BlockSize; i++)
        {
            if (i is >= ChecksumOffset and < ChecksumOffset + ChecksumLength) continue;
            unsigned += block[i];
            signed += (sbyte)block[i];
        }
        return recorded == unsigned || recorded == signed;
    }

    private static byte[] UstarName(ReadOnlySpan<byte> block) => UntilNul(block[..NameLength]).ToArray();

    /// <summary>A NUL-terminated field's bytes (all of them when it fills the field).</summary>
    public static ReadOnlySpan<byte> UntilNul(ReadOnlySpan<byte> field)
    {
        int end = field.IndexOf((byte)0);
        return end < 0 ? field : field[..end];
    }
}
