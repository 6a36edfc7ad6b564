using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace Bunker.Index.RocksDb;

/// <summary>Turns one iterator entry into a value; the spans are valid only during the call.</summary>
internal delegate T EntryDecoder<T>(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

/// <summary>
/// One open RocksDB with its column families. Safe to use from many threads (RocksDB is);
/// iterators and write batches are not. Dispose is idempotent, and the native close is deferred
/// until the last open iterator or pinned value lets go of the database.
/// </summary>
internal sealed unsafe class RocksDatabase : IDisposable
{
    // Keys per native MultiGet call: enough to amortize the call, small enough for the stack.
    private const int MultiGetSlice = 256;

    private readonly DatabaseHandle _db;
    private readonly Dictionary<string, ColumnFamilyHandle> _families;
    private readonly CacheHandle _cache;
    private readonly ReadOptionsHandle _readOptions = new();
    private readonly WriteOptionsHandle _syncWrite = new();
    private readonly WriteOptionsHandle _asyncWrite = new();
    private int _disposed;

    private RocksDatabase(DatabaseHandle db, Dictionary<string, ColumnFamilyHandle> families, CacheHandle cache)
    {
        _db = db;
        _families = families;
        _cache = cache;
        Native.rocksdb_writeoptions_set_sync(_syncWrite, 1);
        Native.rocksdb_writeoptions_set_sync(_asyncWrite, 0);
    }

    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Bytes the block cache holds now, index and filter blocks included.</summary>
    public long BlockCacheUsage => (long)Native.rocksdb_cache_get_usage(_cache);

    public static RocksDatabase Open(string path, RocksDbSettings settings, IReadOnlyList<string> columnFamilies)
    {
        Native.EnsureLoaded();
        var cache = new CacheHandle(settings.BlockCacheBytes);
        var names = new nint[columnFamilies.Count];
        try
        {
            using var options = CreateOptions(settings, cache);
            int count = columnFamilies.Count;
            var familyOptions = new nint[count];
            var familyHandles = new nint[count];
            for (int i = 0; i < count; i++)
            {
                names[i] = Marshal.StringToCoTaskMemUTF8(columnFamilies[i]);
                familyOptions[i] = options.DangerousGetHandle();
            }
            nint error = 0;
            nint db;
            fixed (nint* n = names)
            fixed (nint* o = familyOptions)
            fixed (nint* h = familyHandles)
                db = Native.rocksdb_open_column_families(options, path, count, n, o, h, ref error);
            RocksDbException.ThrowIfError(error);

            var dbHandle = new DatabaseHandle(db);
            var families = new Dictionary<string, ColumnFamilyHandle>(count, StringComparer.Ordinal);
            for (int i = 0; i < count; i++)
                families[columnFamilies[i]] = new ColumnFamilyHandle(familyHandles[i], dbHandle);
            return new RocksDatabase(dbHandle, families, cache);
        }
        catch
        {
            cache.Dispose();
            throw;
        }
        finally
        {
            foreach (var name in names)
                Marshal.FreeCoTaskMem(name);
        }
    }

    private static OptionsHandle CreateOptions(RocksDbSettings settings, CacheHandle cache)
    {
        var options = new OptionsHandle();
        try
        {
            Native.rocksdb_options_set_create_if_missing(options, settings.CreateIfMissing ? (byte)1 : (byte)0);
            Native.rocksdb_options_set_create_missing_column_families(options, settings.CreateMissingColumnFamilies ? (byte)1 : (byte)0);
            Native.rocksdb_options_set_max_open_files(options, settings.MaxOpenFiles);
            Native.rocksdb_options_set_write_buffer_size(options, checked((nuint)settings.WriteBufferBytes));
            Native.rocksdb_options_set_max_write_buffer_number(options, settings.MaxWriteBufferNumber);
            Native.rocksdb_options_increase_parallelism(options, settings.MaxBackgroundJobs);
            Native.rocksdb_options_set_max_background_jobs(options, settings.MaxBackgroundJobs);

            using var table = new BlockBasedOptionsHandle();
            Native.rocksdb_block_based_options_set_block_cache(table, cache);
            // Index and filter blocks live in the block cache instead of on the heap of each open
            // table, so the cache capacity bounds them and RSS does not grow with the data. L0
            // blocks stay pinned because every lookup consults every L0 file.
            Native.rocksdb_block_based_options_set_cache_index_and_filter_blocks(table, 1);
            Native.rocksdb_block_based_options_set_cache_index_and_filter_blocks_with_high_priority(table, 1);
            Native.rocksdb_block_based_options_set_pin_l0_filter_and_index_blocks_in_cache(table, 1);
            if (settings.BloomBitsPerKey > 0)
            {
                using var bloom = new FilterPolicyHandle(settings.BloomBitsPerKey);
                Native.rocksdb_block_based_options_set_filter_policy(table, bloom);
                bloom.SetHandleAsInvalid(); // the table options own it now
            }
            // The factory copies the table options, so they can go when this method returns.
            Native.rocksdb_options_set_block_based_table_factory(options, table);
            return options;
        }
        catch
        {
            options.Dispose();
            throw;
        }
    }

    /// <summary>A RocksDB property of a column family (e.g. "rocksdb.estimate-table-readers-mem"), or null if unknown.</summary>
    public string? GetProperty(ColumnFamilyHandle family, string name)
    {
        ThrowIfDisposed();
        using var db = new HandleLease(_db);
        using var cf = new HandleLease(family);
        nint value = Native.rocksdb_property_value_cf(db.Pointer, cf.Pointer, name);
        return value == 0 ? null : RocksDbException.TakeMessage(value);
    }

    public ColumnFamilyHandle GetColumnFamily(string name)
        => _families.TryGetValue(name, out var family)
            ? family
            : throw new ArgumentException($"column family '{name}' was not opened", nameof(name));

    public void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(IsDisposed, this);

    /// <summary>Looks a key up without copying the value out; dispose the result.</summary>
    public PinnedValue Get(ColumnFamilyHandle family, ReadOnlySpan<byte> key)
    {
        ThrowIfDisposed();
        using var cf = new HandleLease(family);
        using var ro = new HandleLease(_readOptions);
        var db = new HandleLease(_db); // handed to the PinnedValue, which releases it
        try
        {
            nint error = 0;
            nint slice;
            fixed (byte* k = key)
                slice = Native.rocksdb_get_pinned_cf(db.Pointer, ro.Pointer, cf.Pointer, k, (nuint)key.Length, ref error);
            RocksDbException.ThrowIfError(error);
            return new PinnedValue(slice, _db);
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    /// <summary>Looks a key up and decodes its value in place, without copying it out first.</summary>
    public bool TryGet<T>(ColumnFamilyHandle family, ReadOnlySpan<byte> key, EntryDecoder<T> decode, [MaybeNullWhen(false)] out T result)
    {
        using var value = Get(family, key);
        result = value.Found ? decode(key, value.Span) : default;
        return value.Found;
    }

    /// <summary>
    /// Looks up <c>keys.Length / keyLength</c> fixed-length keys packed back to back, reporting
    /// each to <paramref name="sink"/> by index. Uses the batched MultiGet, which probes bloom
    /// filters and reads blocks for many keys at once.
    /// </summary>
    public void MultiGet<TSink>(ColumnFamilyHandle family, ReadOnlySpan<byte> keys, int keyLength, ref TSink sink)
        where TSink : IMultiGetSink, allows ref struct
    {
        if (keyLength <= 0 || keys.Length % keyLength != 0)
            throw new ArgumentException($"keys must be packed {keyLength}-byte keys", nameof(keys));
        ThrowIfDisposed();
        int count = keys.Length / keyLength;
        byte** keyPointers = stackalloc byte*[MultiGetSlice];
        nuint* keyLengths = stackalloc nuint[MultiGetSlice];
        nint* values = stackalloc nint[MultiGetSlice];
        nint* errors = stackalloc nint[MultiGetSlice];
        using var db = new HandleLease(_db);
        using var cf = new HandleLease(family);
        using var ro = new HandleLease(_readOptions);
        fixed (byte* packed = keys)
        {
            for (int start = 0; start < count; start += MultiGetSlice)
            {
                int n = Math.Min(MultiGetSlice, count - start);
                for (int i = 0; i < n; i++)
                {
                    keyPointers[i] = packed + (long)(start + i) * keyLength;
                    keyLengths[i] = (nuint)keyLength;
                }
                Native.rocksdb_batched_multi_get_cf(db.Pointer, ro.Pointer, cf.Pointer, (nuint)n, keyPointers, keyLengths, values, errors, 0);
                Deliver(values, errors, n, start, ref sink);
            }
        }
    }

    private static void Deliver<TSink>(nint* values, nint* errors, int n, int start, ref TSink sink)
        where TSink : IMultiGetSink, allows ref struct
    {
        try
        {
            for (int i = 0; i < n; i++)
            {
                if (errors[i] != 0)
                {
                    nint error = errors[i];
                    errors[i] = 0; // ThrowIfError frees it; the finally below must not free it again
                    RocksDbException.ThrowIfError(error);
                }
            }
            for (int i = 0; i < n; i++)
            {
                if (values[i] == 0)
                {
                    sink.Missing(start + i);
                    continue;
                }
                byte* value = Native.rocksdb_pinnableslice_value(values[i], out var length);
                sink.Found(start + i, new ReadOnlySpan<byte>(value, checked((int)length)));
            }
        }
        finally
        {
            // Every slot is the caller's to free, whatever the sink did.
            for (int i = 0; i < n; i++)
            {
                if (values[i] != 0)
                    Native.rocksdb_pinnableslice_destroy(values[i]);
                if (errors[i] != 0)
                    Native.rocksdb_free(errors[i]);
            }
        }
    }

    public void Write(WriteBatch batch, bool sync)
    {
        ThrowIfDisposed();
        using var db = new HandleLease(_db);
        nint error = 0;
        Native.rocksdb_write(db.Pointer, sync ? _syncWrite : _asyncWrite, batch.Handle, ref error);
        RocksDbException.ThrowIfError(error);
    }

    /// <summary>
    /// An iterator confined to [<paramref name="lower"/>, <paramref name="upper"/>); an empty span
    /// means unbounded on that side. The bounds are copied to native memory that lives as long as
    /// the iterator, because RocksDB keeps pointers to them.
    /// </summary>
    /// <param name="fillCache">False for bulk scans, so a full pass does not evict the hot blocks
    /// that lookups depend on.</param>
    public RocksIterator NewIterator(ColumnFamilyHandle family, ReadOnlySpan<byte> lower, ReadOnlySpan<byte> upper, bool fillCache)
    {
        ThrowIfDisposed();
        var readOptions = new ReadOptionsHandle();
        NativeBufferHandle? lowerBound = null, upperBound = null;
        try
        {
            Native.rocksdb_readoptions_set_fill_cache(readOptions, fillCache ? (byte)1 : (byte)0);
            var parents = new List<SafeHandle>(5) { _db, family, readOptions };
            if (!lower.IsEmpty)
            {
                lowerBound = new NativeBufferHandle(lower);
                Native.rocksdb_readoptions_set_iterate_lower_bound(readOptions, lowerBound.Pointer, (nuint)lowerBound.Length);
                parents.Add(lowerBound);
            }
            if (!upper.IsEmpty)
            {
                upperBound = new NativeBufferHandle(upper);
                Native.rocksdb_readoptions_set_iterate_upper_bound(readOptions, upperBound.Pointer, (nuint)upperBound.Length);
                parents.Add(upperBound);
            }
            var referenced = RocksHandle.AddRefs([.. parents]);
            nint iterator;
            try
            {
                iterator = Native.rocksdb_create_iterator_cf(
                    _db.DangerousGetHandle(), readOptions.DangerousGetHandle(), family.DangerousGetHandle());
            }
            catch
            {
                foreach (var parent in referenced)
                    parent.DangerousRelease();
                throw;
            }
            return new RocksIterator(this, new IteratorHandle(iterator, referenced));
        }
        finally
        {
            // Our own references only: the iterator holds its own until it is disposed.
            readOptions.Dispose();
            lowerBound?.Dispose();
            upperBound?.Dispose();
        }
    }

    /// <summary>Streams every entry whose key starts with <paramref name="prefix"/>, in key order.</summary>
    public IEnumerable<T> ScanPrefix<T>(ColumnFamilyHandle family, byte[] prefix, EntryDecoder<T> decode, bool fillCache = false)
    {
        using var iterator = NewPrefixIterator(family, prefix, fillCache);
        for (iterator.Seek(prefix); iterator.Valid; iterator.Next())
            yield return decode(iterator.Key, iterator.Value);
    }

    public long CountPrefix(ColumnFamilyHandle family, ReadOnlySpan<byte> prefix)
    {
        using var iterator = NewPrefixIterator(family, prefix, fillCache: false);
        long count = 0;
        for (iterator.Seek(prefix); iterator.Valid; iterator.Next())
            count++;
        return count;
    }

    public RocksIterator NewPrefixIterator(ColumnFamilyHandle family, ReadOnlySpan<byte> prefix, bool fillCache)
    {
        Span<byte> upper = prefix.Length <= 256 ? stackalloc byte[prefix.Length] : new byte[prefix.Length];
        int upperLength = KeyRange.PrefixSuccessor(prefix, upper);
        return NewIterator(family, prefix, upper[..upperLength], fillCache);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        foreach (var family in _families.Values)
            family.Dispose();
        _readOptions.Dispose();
        _syncWrite.Dispose();
        _asyncWrite.Dispose();
        _cache.Dispose();
        _db.Dispose();
    }
}
