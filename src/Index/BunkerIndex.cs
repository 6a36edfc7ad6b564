using Bunker.Index.RocksDb;

namespace Bunker.Index;

/// <summary>
/// The server's RocksDB index: chunks, packs, snapshots and bookkeeping, each in its own column
/// family of one database, so one <see cref="IndexBatch"/> can change several atomically. Every
/// key starts with the repository id, which scopes dedup and listing to one repository.
/// Thread-safe. Dispose is idempotent; after it, every call throws
/// <see cref="ObjectDisposedException"/>, and the database closes once the last open scan is
/// disposed.
/// </summary>
public sealed class BunkerIndex : IDisposable
{
    internal static readonly string[] ColumnFamilies =
    [
        "default",
        ChunkIndex.FamilyName,
        PackTable.FamilyName,
        SnapshotCatalog.FamilyName,
        SnapshotCatalog.BySourceFamilyName,
        MetaTable.FamilyName,
    ];

    private readonly RocksDatabase _db;

    private BunkerIndex(string path, RocksDatabase db)
    {
        Path = path;
        _db = db;
        Chunks = new ChunkIndex(db);
        Packs = new PackTable(db);
        Snapshots = new SnapshotCatalog(db);
        Meta = new MetaTable(db);
    }

    public string Path { get; }
    public ChunkIndex Chunks { get; }
    public PackTable Packs { get; }
    public SnapshotCatalog Snapshots { get; }
    public MetaTable Meta { get; }

    /// <summary>Bytes now in the block cache (data, index and filter blocks).</summary>
    public long BlockCacheUsage => _db.BlockCacheUsage;

    internal RocksDatabase Database => _db;

    /// <summary>Opens or creates the index at <see cref="IndexOptions.Path"/>.</summary>
    /// <exception cref="IndexAlreadyOpenException">Another instance holds the directory's lock.</exception>
    /// <exception cref="RocksDbException">RocksDB could not open the database.</exception>
    public static BunkerIndex Open(IndexOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.Path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.BlockCacheBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(options.BloomBitsPerKey);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.WriteBufferBytes);
        var settings = new RocksDbSettings
        {
            BlockCacheBytes = options.BlockCacheBytes,
            BloomBitsPerKey = options.BloomBitsPerKey,
            WriteBufferBytes = options.WriteBufferBytes,
            MaxOpenFiles = options.MaxOpenFiles,
        };
        try
        {
            return new BunkerIndex(options.Path, RocksDatabase.Open(options.Path, settings, ColumnFamilies));
        }
        catch (RocksDbException ex) when (ex.Message.Contains("lock", StringComparison.OrdinalIgnoreCase))
        {
            throw new IndexAlreadyOpenException(
                $"the index at '{options.Path}' is already open (its LOCK file is held by another BunkerIndex " +
                $"in this or another process); close that one first. RocksDB said: {ex.Message}", ex);
        }
    }

    public IndexBatch CreateBatch()
    {
        _db.ThrowIfDisposed();
        return new IndexBatch(this);
    }

    /// <summary>Applies the batch atomically. With <paramref name="sync"/> (the default) the WAL is
    /// fsynced before this returns, so the changes survive a crash or power loss.</summary>
    public void Write(IndexBatch batch, bool sync = true)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Owner != this)
            throw new ArgumentException("the batch was created by another index", nameof(batch));
        _db.Write(batch.Native, sync);
    }

    public void Dispose() => _db.Dispose();
}
