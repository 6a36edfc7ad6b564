namespace Bunker.Index.RocksDb;

/// <summary>
/// Puts and deletes across column families that <see cref="RocksDatabase.Write"/> applies
/// atomically. RocksDB copies keys and values in, so callers may pass stack buffers.
/// Not thread-safe.
/// </summary>
internal sealed unsafe class WriteBatch : IDisposable
{
    internal WriteBatchHandle Handle { get; } = new();

    public int Count => Native.rocksdb_writebatch_count(Handle);

    public void Put(ColumnFamilyHandle family, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        fixed (byte* k = key)
        fixed (byte* v = value)
            Native.rocksdb_writebatch_put_cf(Handle, family, k, (nuint)key.Length, v, (nuint)value.Length);
    }

    public void Delete(ColumnFamilyHandle family, ReadOnlySpan<byte> key)
    {
        fixed (byte* k = key)
            Native.rocksdb_writebatch_delete_cf(Handle, family, k, (nuint)key.Length);
    }

    public void Clear() => Native.rocksdb_writebatch_clear(Handle);

    public void Dispose() => Handle.Dispose();
}
