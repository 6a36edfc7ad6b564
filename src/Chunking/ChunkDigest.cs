using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Bunker.Chunking;

/// <summary>
/// The SHA-256 of a chunk's plaintext: its name everywhere in Bunker. Held inline as four 64-bit
/// words so it can be a dictionary key and be passed around without allocating.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public readonly struct ChunkDigest : IEquatable<ChunkDigest>, IComparable<ChunkDigest>
{
    public const int Size = 32;

    /// <summary>
    /// The all-zero digest, which no data hashes to in practice: an archive entry with it is a hole, that many zero
    /// bytes stored nowhere (a disk image's unallocated or all-zero blocks). It is never put, offered or read.
    /// </summary>
    public static readonly ChunkDigest Hole;

    private readonly ulong _a, _b, _c, _d;

    public ChunkDigest(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
            throw new ArgumentException($"a chunk digest is {Size} bytes, got {bytes.Length}", nameof(bytes));
        _a = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _b = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        _c = BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]);
        _d = BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]);
    }

    /// <summary>Whether this is <see cref="Hole"/>: an entry of zeros with no chunk behind it.</summary>
    public bool IsHole => (_a | _b | _c | _d) == 0;

    /// <summary>Hashes <paramref name="data"/> with SHA-256.</summary>
    public static ChunkDigest Compute(ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[Size];
        SHA256.HashData(data, hash);
        return new ChunkDigest(hash);
    }

    public void CopyTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _a);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _b);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], _c);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], _d);
    }

    public byte[] ToArray()
    {
        var bytes = new byte[Size];
        CopyTo(bytes);
        return bytes;
    }

    public static ChunkDigest Parse(string hex)
    {
        if (hex.Length != Size * 2)
            throw new FormatException($"a chunk digest is {Size * 2} hex characters, got {hex.Length}");
        return new ChunkDigest(Convert.FromHexString(hex));
    }

    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Size];
        CopyTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>The first eight hex characters, for messages and logs.</summary>
    public string ToShortString() => ToString()[..8];

    public bool Equals(ChunkDigest other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;
    public override bool Equals(object? obj) => obj is ChunkDigest other && Equals(other);
    // SHA-256 output is uniform, so one word is as good a hash code as any mix of them.
    public override int GetHashCode() => (int)_a ^ (int)(_a >> 32);
    public int CompareTo(ChunkDigest other)
    {
        int c = _a.CompareTo(other._a);
        if (c != 0) return c;
        c = _b.CompareTo(other._b);
        if (c != 0) return c;
        c = _c.CompareTo(other._c);
        return c != 0 ? c : _d.CompareTo(other._d);
    }

    public static bool operator ==(ChunkDigest left, ChunkDigest right) => left.Equals(right);
    public static bool operator !=(ChunkDigest left, ChunkDigest right) => !left.Equals(right);
}
