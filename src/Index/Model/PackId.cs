using Bunker.Chunking;

namespace Bunker.Index;

/// <summary>
/// A pack's name: the SHA-256 of the pack's whole stored bytes, so any copy of a pack can be
/// checked against its name (as restic does) and a mirror never needs to trust its source.
/// </summary>
public readonly struct PackId : IEquatable<PackId>, IComparable<PackId>
{
    public const int Size = ChunkDigest.Size;

    private readonly ChunkDigest _hash;

    public PackId(ReadOnlySpan<byte> bytes) => _hash = new ChunkDigest(bytes);
    private PackId(ChunkDigest hash) => _hash = hash;

    public static PackId FromHash(ChunkDigest hash) => new(hash);
    public static PackId Parse(string hex) => new(ChunkDigest.Parse(hex));

    public void CopyTo(Span<byte> destination) => _hash.CopyTo(destination);
    public byte[] ToArray() => _hash.ToArray();
    public override string ToString() => _hash.ToString();
    public string ToShortString() => _hash.ToShortString();

    public bool Equals(PackId other) => _hash.Equals(other._hash);
    public override bool Equals(object? obj) => obj is PackId other && Equals(other);
    public override int GetHashCode() => _hash.GetHashCode();
    public int CompareTo(PackId other) => _hash.CompareTo(other._hash);
    public static bool operator ==(PackId left, PackId right) => left.Equals(right);
    public static bool operator !=(PackId left, PackId right) => !left.Equals(right);
}
