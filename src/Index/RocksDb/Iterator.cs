namespace Bunker.Index.RocksDb;

/// <summary>
/// A forward cursor over one column family, optionally bounded. <see cref="Key"/> and
/// <see cref="Value"/> point into RocksDB's memory and are valid only until the next move.
/// Not thread-safe.
/// </summary>
internal sealed unsafe class RocksIterator : IDisposable
{
    private readonly RocksDatabase _database;
    private readonly IteratorHandle _handle;

    internal RocksIterator(RocksDatabase database, IteratorHandle handle)
    {
        _database = database;
        _handle = handle;
    }

    public void Seek(ReadOnlySpan<byte> key)
    {
        fixed (byte* k = key)
            Native.rocksdb_iter_seek(_handle, k, (nuint)key.Length);
    }

    /// <summary>
    /// Whether the cursor is on an entry. An iterator stops being valid on error as well as at the
    /// end, so the error status is checked here rather than silently ending a scan early.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The database was disposed while iterating; the
    /// native close waits for this iterator's disposal, so nothing is freed under it.</exception>
    public bool Valid
    {
        get
        {
            _database.ThrowIfDisposed();
            if (Native.rocksdb_iter_valid(_handle) != 0)
                return true;
            nint error = 0;
            Native.rocksdb_iter_get_error(_handle, ref error);
            RocksDbException.ThrowIfError(error);
            return false;
        }
    }

    public void Next() => Native.rocksdb_iter_next(_handle);

    public ReadOnlySpan<byte> Key
    {
        get
        {
            byte* key = Native.rocksdb_iter_key(_handle, out var length);
            return new ReadOnlySpan<byte>(key, checked((int)length));
        }
    }

    public ReadOnlySpan<byte> Value
    {
        get
        {
            byte* value = Native.rocksdb_iter_value(_handle, out var length);
            return new ReadOnlySpan<byte>(value, checked((int)length));
        }
    }

    public void Dispose() => _handle.Dispose();
}
