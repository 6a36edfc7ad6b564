using System.Reflection;
using System.Runtime.InteropServices;

namespace Bunker.Index.RocksDb;

/// <summary>
/// The RocksDB C API (rocksdb/c.h, 7.8). Raw pointers are <see cref="nint"/> so that ownership
/// stays with the <see cref="RocksHandle"/> subclasses; C booleans are <see cref="byte"/>.
/// </summary>
internal static unsafe class Native
{
    private const string Lib = "rocksdb";

    // The runtime package (librocksdb7.8) ships only the versioned soname; the unversioned
    // symlink comes from -dev, which production machines do not have.
    private static readonly string[] Candidates = ["librocksdb.so.7.8", "librocksdb.so", "rocksdb"];

    private static readonly Lazy<nint> Library = new(LoadLibrary);

    static Native() => NativeLibrary.SetDllImportResolver(typeof(Native).Assembly, Resolve);

    /// <summary>Loads librocksdb now, so a missing library fails with a clear message at open.</summary>
    public static void EnsureLoaded() => _ = Library.Value;

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
        => name == Lib ? Library.Value : 0;

    private static nint LoadLibrary()
    {
        foreach (var candidate in Candidates)
        {
            if (NativeLibrary.TryLoad(candidate, out var handle))
                return handle;
        }
        throw new DllNotFoundException(
            $"RocksDB native library not found (tried {string.Join(", ", Candidates)}). " +
            "Install the Debian package librocksdb7.8 (apt-get install librocksdb7.8).");
    }

    [DllImport(Lib)] public static extern void rocksdb_free(nint ptr);

    // Options
    [DllImport(Lib)] public static extern nint rocksdb_options_create();
    [DllImport(Lib)] public static extern void rocksdb_options_destroy(nint options);
    [DllImport(Lib)] public static extern void rocksdb_options_set_create_if_missing(OptionsHandle options, byte value);
    [DllImport(Lib)] public static extern void rocksdb_options_set_create_missing_column_families(OptionsHandle options, byte value);
    [DllImport(Lib)] public static extern void rocksdb_options_set_max_open_files(OptionsHandle options, int value);
    [DllImport(Lib)] public static extern void rocksdb_options_set_write_buffer_size(OptionsHandle options, nuint value);
    [DllImport(Lib)] public static extern void rocksdb_options_set_max_write_buffer_number(OptionsHandle options, int value);
    [DllImport(Lib)] public static extern void rocksdb_options_increase_parallelism(OptionsHandle options, int totalThreads);
    [DllImport(Lib)] public static extern void rocksdb_options_set_max_background_jobs(OptionsHandle options, int value);
    [DllImport(Lib)] public static extern void rocksdb_options_set_block_based_table_factory(OptionsHandle options, BlockBasedOptionsHandle table);

    // Block-based table, cache, bloom filter
    [DllImport(Lib)] public static extern nint rocksdb_block_based_options_create();
    [DllImport(Lib)] public static extern void rocksdb_block_based_options_destroy(nint options);
    [DllImport(Lib)] public static extern void rocksdb_block_based_options_set_block_cache(BlockBasedOptionsHandle options, CacheHandle cache);
    [DllImport(Lib)] public static extern void rocksdb_block_based_options_set_filter_policy(BlockBasedOptionsHandle options, FilterPolicyHandle policy);
    [DllImport(Lib)] public static extern void rocksdb_block_based_options_set_cache_index_and_filter_blocks(BlockBasedOptionsHandle options, byte value);
    [DllImport(Lib)] public static extern void rocksdb_block_based_options_set_cache_index_and_filter_blocks_with_high_priority(BlockBasedOptionsHandle options, byte value);
    [DllImport(Lib)] public static extern void rocksdb_block_based_options_set_pin_l0_filter_and_index_blocks_in_cache(BlockBasedOptionsHandle options, byte value);
    [DllImport(Lib)] public static extern nint rocksdb_cache_create_lru(nuint capacity);
    [DllImport(Lib)] public static extern void rocksdb_cache_destroy(nint cache);
    [DllImport(Lib)] public static extern nuint rocksdb_cache_get_usage(CacheHandle cache);
    [DllImport(Lib)] public static extern nint rocksdb_filterpolicy_create_bloom_full(double bitsPerKey);
    [DllImport(Lib)] public static extern void rocksdb_filterpolicy_destroy(nint policy);

    // Read and write options
    [DllImport(Lib)] public static extern nint rocksdb_readoptions_create();
    [DllImport(Lib)] public static extern void rocksdb_readoptions_destroy(nint options);
    [DllImport(Lib)] public static extern void rocksdb_readoptions_set_fill_cache(ReadOptionsHandle options, byte value);
    [DllImport(Lib)] public static extern void rocksdb_readoptions_set_iterate_upper_bound(ReadOptionsHandle options, byte* key, nuint keyLength);
    [DllImport(Lib)] public static extern void rocksdb_readoptions_set_iterate_lower_bound(ReadOptionsHandle options, byte* key, nuint keyLength);
    [DllImport(Lib)] public static extern nint rocksdb_writeoptions_create();
    [DllImport(Lib)] public static extern void rocksdb_writeoptions_destroy(nint options);
    [DllImport(Lib)] public static extern void rocksdb_writeoptions_set_sync(WriteOptionsHandle options, byte value);

    // Database and column families
    [DllImport(Lib)]
    public static extern nint rocksdb_open_column_families(
        OptionsHandle options, [MarshalAs(UnmanagedType.LPUTF8Str)] string name, int count,
        nint* names, nint* familyOptions, nint* familyHandles, ref nint errptr);
    [DllImport(Lib)] public static extern void rocksdb_close(nint db);
    [DllImport(Lib)] public static extern nint rocksdb_property_value_cf(nint db, nint family, [MarshalAs(UnmanagedType.LPUTF8Str)] string name);
    [DllImport(Lib)] public static extern void rocksdb_column_family_handle_destroy(nint family);

    // Reads and writes. Database, family and read options arrive as raw pointers: callers hold a
    // SafeHandle reference across the call and across any use of what it returns.
    [DllImport(Lib)] public static extern void rocksdb_write(nint db, WriteOptionsHandle options, WriteBatchHandle batch, ref nint errptr);
    [DllImport(Lib)] public static extern nint rocksdb_get_pinned_cf(nint db, nint readOptions, nint family, byte* key, nuint keyLength, ref nint errptr);
    [DllImport(Lib)] public static extern byte* rocksdb_pinnableslice_value(nint slice, out nuint length);
    [DllImport(Lib)] public static extern void rocksdb_pinnableslice_destroy(nint slice);
    [DllImport(Lib)]
    public static extern void rocksdb_batched_multi_get_cf(
        nint db, nint readOptions, nint family, nuint count, byte** keys, nuint* keyLengths,
        nint* values, nint* errors, byte sortedInput);

    // Write batches
    [DllImport(Lib)] public static extern nint rocksdb_writebatch_create();
    [DllImport(Lib)] public static extern void rocksdb_writebatch_destroy(nint batch);
    [DllImport(Lib)] public static extern void rocksdb_writebatch_clear(WriteBatchHandle batch);
    [DllImport(Lib)] public static extern int rocksdb_writebatch_count(WriteBatchHandle batch);
    [DllImport(Lib)] public static extern void rocksdb_writebatch_put_cf(WriteBatchHandle batch, ColumnFamilyHandle family, byte* key, nuint keyLength, byte* value, nuint valueLength);
    [DllImport(Lib)] public static extern void rocksdb_writebatch_delete_cf(WriteBatchHandle batch, ColumnFamilyHandle family, byte* key, nuint keyLength);

    // Iterators
    [DllImport(Lib)] public static extern nint rocksdb_create_iterator_cf(nint db, nint readOptions, nint family);
    [DllImport(Lib)] public static extern void rocksdb_iter_destroy(nint iterator);
    [DllImport(Lib)] public static extern byte rocksdb_iter_valid(IteratorHandle iterator);
    [DllImport(Lib)] public static extern void rocksdb_iter_seek(IteratorHandle iterator, byte* key, nuint keyLength);
    [DllImport(Lib)] public static extern void rocksdb_iter_next(IteratorHandle iterator);
    [DllImport(Lib)] public static extern byte* rocksdb_iter_key(IteratorHandle iterator, out nuint length);
    [DllImport(Lib)] public static extern byte* rocksdb_iter_value(IteratorHandle iterator, out nuint length);
    [DllImport(Lib)] public static extern void rocksdb_iter_get_error(IteratorHandle iterator, ref nint errptr);
}
