namespace Bunker.Index;

/// <summary>
/// A repository's 16-byte random id. It prefixes every index key, which is what scopes dedup to
/// one repository, and it is bound into every chunk's AES-GCM associated data.
/// </summary>
public readonly record struct RepositoryId(Guid Value)
{
    public const int Size = 16;

    public static RepositoryId New() => new(Guid.NewGuid());

    public RepositoryId(ReadOnlySpan<byte> bytes) : this(new Guid(bytes, bigEndian: true))
    {
        if (bytes.Length != Size)
            throw new ArgumentException($"a repository id is {Size} bytes, got {bytes.Length}", nameof(bytes));
    }

    public void CopyTo(Span<byte> destination)
    {
        if (!Value.TryWriteBytes(destination, bigEndian: true, out _))
            throw new ArgumentException("destination too small for a repository id", nameof(destination));
    }

    public byte[] ToArray()
    {
        var bytes = new byte[Size];
        CopyTo(bytes);
        return bytes;
    }

    public static RepositoryId Parse(string text) => new(Guid.Parse(text));
    public override string ToString() => Value.ToString("N");
}
