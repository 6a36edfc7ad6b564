using System.Buffers.Binary;
using System.Text;

namespace Bunker.Index.Serialization;

/// <summary>
/// Writes the index's compact value and key encodings into a caller-sized span. Size the span with
/// the <c>SizeOf</c> helpers, which give the exact number of bytes each write takes.
/// </summary>
internal ref struct ValueWriter(Span<byte> destination)
{
    private readonly Span<byte> _destination = destination;
    private int _position;

    public readonly int Length => _position;

    public readonly ReadOnlySpan<byte> Written => _destination[.._position];

    public static int SizeOfVarUInt(ulong value)
    {
        int size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }
        return size;
    }

    public static int SizeOfString(string value)
    {
        int bytes = Encoding.UTF8.GetByteCount(value);
        return SizeOfVarUInt((ulong)bytes) + bytes;
    }

    public static int SizeOfString16(string value) => 2 + Utf8Length16(value);

    /// <summary>The UTF-8 length of a string that must fit a 16-bit length prefix.</summary>
    public static int Utf8Length16(string value)
    {
        int bytes = Encoding.UTF8.GetByteCount(value);
        if (bytes > ushort.MaxValue)
            throw new ArgumentException($"'{value[..32]}...' is {bytes} UTF-8 bytes; at most {ushort.MaxValue} fit a key");
        return bytes;
    }

    public void Byte(byte value) => _destination[_position++] = value;

    public void Bytes(ReadOnlySpan<byte> value)
    {
        value.CopyTo(_destination[_position..]);
        _position += value.Length;
    }

    public void UInt32LittleEndian(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_destination[_position..], value);
        _position += 4;
    }

    public void UInt64BigEndian(ulong value)
    {
        BinaryPrimitives.WriteUInt64BigEndian(_destination[_position..], value);
        _position += 8;
    }

    public void VarUInt(ulong value)
    {
        while (value >= 0x80)
        {
            _destination[_position++] = (byte)(value | 0x80);
            value >>= 7;
        }
        _destination[_position++] = (byte)value;
    }

    /// <summary>A varint byte count, then the UTF-8 bytes.</summary>
    public void String(string value)
    {
        VarUInt((ulong)Encoding.UTF8.GetByteCount(value));
        _position += Encoding.UTF8.GetBytes(value, _destination[_position..]);
    }

    /// <summary>
    /// A 16-bit big-endian byte count, then the UTF-8 bytes: the key form, where the prefix keeps
    /// "a" from matching "ab" when scanning by prefix.
    /// </summary>
    public void String16(string value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_destination[_position..], (ushort)Utf8Length16(value));
        _position += 2;
        _position += Encoding.UTF8.GetBytes(value, _destination[_position..]);
    }
}
