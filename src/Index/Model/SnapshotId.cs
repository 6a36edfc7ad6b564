using Bunker.Chunking;

namespace Bunker.Index;

/// <summary>
/// A snapshot's name: the SHA-256 of its manifest, so a snapshot fetched from any store or mirror
/// can be checked against its name.
/// </summary>
public readonly struct SnapshotId : IEquatable<SnapshotId>, IComparable<SnapshotId>
{
    public const int Size = ChunkDigest.Size;

    private readonly ChunkDigest _hash;

    public SnapshotId(ReadOnlySpan<byte> bytes) => _hash = new ChunkDigest(bytes);
    private SnapshotId(ChunkDigest hash) => _hash = hash;

    public static SnapshotId FromHash(ChunkDigest hash) => new(hash);
    public static SnapshotId Parse(string hex) => new(ChunkDigest.Parse(hex));

    public void CopyTo(Span<byte> destination) => _hash.CopyTo(destination);
    public byte[] ToArray() => _hash.ToArray();
    public override string ToString() => _hash.ToString();
    public string ToShortString() => _hash.ToShortString();

    public bool Equals(SnapshotId other) => _hash.Equals(other._hash);
    public override bool Equals(object? obj) => obj is SnapshotId other && Equals(other);
    public override int GetHashCode() => _hash.GetHashCode();
    public int CompareTo(SnapshotId other) => _hash.CompareTo(other._hash);
    public static bool operator ==(SnapshotId left, SnapshotId right) => left.Equals(right);
    public static bool operator !=(SnapshotId left, SnapshotId right) => !left.Equals(right);
}
