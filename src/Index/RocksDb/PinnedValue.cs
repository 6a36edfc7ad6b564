namespace Bunker.Index.RocksDb;

/// <summary>
/// A value looked up in place: RocksDB pins the block holding it instead of copying it out. The
/// database stays referenced until <see cref="Dispose"/>, because the pin points into its cache.
/// </summary>
internal unsafe ref struct PinnedValue
{
    private nint _slice;
    private DatabaseHandle? _db;

    internal PinnedValue(nint slice, DatabaseHandle db)
    {
        _slice = slice;
        _db = db;
    }

    public readonly bool Found => _slice != 0;

    public readonly ReadOnlySpan<byte> Span
    {
        get
        {
            if (_slice == 0)
                return default;
            byte* value = Native.rocksdb_pinnableslice_value(_slice, out var length);
            return new ReadOnlySpan<byte>(value, checked((int)length));
        }
    }

    public void Dispose()
    {
        if (_slice != 0)
            Native.rocksdb_pinnableslice_destroy(_slice);
        _slice = 0;
        _db?.DangerousRelease();
        _db = null;
    }
}
