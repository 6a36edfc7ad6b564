using Bunker.Chunking;
using Bunker.Index.RocksDb;

namespace Bunker.Index;

/// <summary>The layout every table shares: keys start with the 16-byte repository id.</summary>
internal static class RepositoryKeys
{
    /// <summary>The length of a repository id followed by a 32-byte digest or id.</summary>
    public const int IdKeyLength = RepositoryId.Size + ChunkDigest.Size;

    /// <summary>Writes the repository id and returns the rest of <paramref name="key"/>.</summary>
    public static Span<byte> Scope(Span<byte> key, RepositoryId repo)
    {
        repo.CopyTo(key);
        return key[RepositoryId.Size..];
    }

    public static RepositoryId RepositoryOf(ReadOnlySpan<byte> key) => new(key[..RepositoryId.Size]);

    /// <summary>Counts a repository's keys in a column family by walking them.</summary>
    public static long Count(RocksDatabase db, ColumnFamilyHandle family, RepositoryId repo)
    {
        Span<byte> prefix = stackalloc byte[RepositoryId.Size];
        repo.CopyTo(prefix);
        return db.CountPrefix(family, prefix);
    }
}
