namespace Bunker.Index.RocksDb;

/// <summary>What <see cref="RocksDatabase.Open"/> configures; every column family gets the same table setup.</summary>
internal sealed record RocksDbSettings
{
    public bool CreateIfMissing { get; init; } = true;
    public bool CreateMissingColumnFamilies { get; init; } = true;
    // The sizes come from IndexOptions, which holds their defaults; they are required here so the
    // two can never disagree.
    public required int MaxOpenFiles { get; init; }
    public required long WriteBufferBytes { get; init; }
    public int MaxWriteBufferNumber { get; init; } = 2;
    public int MaxBackgroundJobs { get; init; } = Math.Max(2, Environment.ProcessorCount);
    public required long BlockCacheBytes { get; init; }
    public required double BloomBitsPerKey { get; init; }
}
