namespace Bunker.Index;

/// <summary>How <see cref="BunkerIndex.Open"/> sizes the index. Memory use is bounded by the block
/// cache plus the write buffers, not by the number of entries.</summary>
public sealed record IndexOptions
{
    public required string Path { get; init; }

    /// <summary>The LRU block cache, which also holds index and filter blocks.</summary>
    public long BlockCacheBytes { get; init; } = 64L << 20;

    public int BloomBitsPerKey { get; init; } = 10;

    /// <summary>The size of one memtable (per column family, up to two each).</summary>
    public long WriteBufferBytes { get; init; } = 16L << 20;

    public int MaxOpenFiles { get; init; } = 256;
}
