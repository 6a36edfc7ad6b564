namespace Bunker.Index.RocksDb;

/// <summary>What <see cref="RocksDatabase.Open"/> configures; every column family gets the same table setup.</summary>
internal sealed record RocksDbSettings
{
    public bool CreateIfMissing { get; init; } = true;
    public bool CreateMissingColumnFamilies { get; init; } = true;
    public int MaxOpenFiles { get; init; } = 256;
    public long WriteBufferBytes { get; init; } = 16L << 20;
    public int MaxWriteBufferNumber { get; init; } = 2;
    public int MaxBackgroundJobs { get; init; } = Math.Max(2, Environment.ProcessorCount);
    public long BlockCacheBytes { get; init; } = 64L << 20;
    public double BloomBitsPerKey { get; init; } = 10;
}
