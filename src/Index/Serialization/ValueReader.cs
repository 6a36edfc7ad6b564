using System.Buffers.Binary;
using System.Text;

namespace Bunker.Index.Serialization;

/// <summary>
/// Reads what <see cref="ValueWriter"/> wrote. Every read is bounds-checked and a short, overlong or
/// malformed value throws <see cref="InvalidDataException"/>, which the tables turn into an
/// <see cref="IndexCorruptException"/> naming the key.
/// </summary>
internal ref struct ValueReader(ReadOnlySpan<byte> source)
{
    // Strict, so corrupt text is reported instead of being turned into U+FFFD.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlySpan<byte> _source = source;
    private int _position;

    public readonly int Remaining => _source.Length - _position;

    public byte Byte() => Take(1)[0];

    public ReadOnlySpan<byte> Bytes(int count) => Take(count);

    public uint UInt32LittleEndian() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    public ulong UInt64BigEndian() => BinaryPrimitives.ReadUInt64BigEndian(Take(8));

    public ulong VarUInt()
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            byte b = Byte();
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
                return value;
        }
        throw new InvalidDataException("varint longer than 64 bits");
    }

    public long VarInt64() => checked((long)VarUInt());

    public string String() => Text(checked((int)Math.Min(VarUInt(), int.MaxValue)));

    /// <summary>Reads the leading format version byte and rejects any other than <paramref name="expected"/>.</summary>
    public void Version(byte expected)
    {
        byte version = Byte();
        if (version != expected)
            throw new InvalidDataException($"unknown format version {version} (expected {expected})");
    }

    public readonly void End()
    {
        if (Remaining != 0)
            throw new InvalidDataException($"{Remaining} unexpected trailing bytes");
    }

    private string Text(int length)
    {
        try
        {
            return StrictUtf8.GetString(Take(length));
        }
        catch (DecoderFallbackException ex)
        {
            throw new InvalidDataException("invalid UTF-8", ex);
        }
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > Remaining)
            throw new InvalidDataException($"value is truncated: needed {count} bytes at offset {_position}, {Remaining} left");
        var taken = _source.Slice(_position, count);
        _position += count;
        return taken;
    }
}
