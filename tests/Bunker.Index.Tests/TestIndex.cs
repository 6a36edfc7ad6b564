using System.Buffers.Binary;
using Bunker.Chunking;

namespace Bunker.Index.Tests;

/// <summary>An index in a fresh temp directory, deleted on dispose.</summary>
internal sealed class TestIndex : IDisposable
{
    public TestIndex(long blockCacheBytes = 8L << 20, long writeBufferBytes = 4L << 20)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "bunker-index-" + Guid.NewGuid().ToString("N"));
        Options = new IndexOptions { Path = Path, BlockCacheBytes = blockCacheBytes, WriteBufferBytes = writeBufferBytes };
        Index = BunkerIndex.Open(Options);
    }

    public string Path { get; }
    public IndexOptions Options { get; }
    public BunkerIndex Index { get; private set; }

    public BunkerIndex Reopen()
    {
        Index.Dispose();
        Index = BunkerIndex.Open(Options);
        return Index;
    }

    public void Write(Action<IndexBatch> fill, bool sync = false)
    {
        using var batch = Index.CreateBatch();
        fill(batch);
        Index.Write(batch, sync);
    }

    public void Dispose()
    {
        Index.Dispose();
        Directory.Delete(Path, recursive: true);
    }
}

internal static class Data
{
    /// <summary>A cheap deterministic digest for entry <paramref name="i"/> of a seed (splitmix64).</summary>
    public static ChunkDigest Digest(long i, ulong seed = 0)
    {
        Span<byte> bytes = stackalloc byte[ChunkDigest.Size];
        ulong state = (ulong)i * 4 + seed * 0x9E3779B97F4A7C15UL;
        for (int w = 0; w < 4; w++)
            BinaryPrimitives.WriteUInt64BigEndian(bytes[(w * 8)..], Mix(ref state));
        return new ChunkDigest(bytes);
    }

    public static PackId Pack(long i) => PackId.FromHash(Digest(i, seed: 77));

    public static ChunkLocation Location(long i)
        => new(Pack(i / 1000), (uint)(i * 7), (uint)(i % 4096 + 1), (uint)(i % 8192 + 1), (i & 1) == 0 ? ChunkCodec.Zstd : ChunkCodec.None);

    /// <summary>Two repositories whose ids differ only in the last byte: prefix neighbours.</summary>
    public static (RepositoryId A, RepositoryId B) NeighbourRepositories()
    {
        var bytes = RepositoryId.New().ToArray();
        bytes[^1] = 0x10;
        var a = new RepositoryId(bytes);
        bytes[^1] = 0x11;
        return (a, new RepositoryId(bytes));
    }

    private static ulong Mix(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
