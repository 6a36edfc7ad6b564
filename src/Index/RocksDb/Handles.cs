using System.Runtime.InteropServices;

namespace Bunker.Index.RocksDb;

/// <summary>
/// Owns one native RocksDB object. The objects it depends on (the database under a column family,
/// the read options and bound buffers under an iterator) are referenced through
/// <see cref="SafeHandle.DangerousAddRef"/>, so disposing them in any order, or finalizing them,
/// never destroys a parent before its last child: the parent's destructor runs when the last
/// child lets go.
/// </summary>
internal abstract class RocksHandle : SafeHandle
{
    private readonly SafeHandle[] _parents;

    /// <param name="handle">The native pointer; zero means the C API failed to allocate.</param>
    /// <param name="referencedParents">Handles the caller has already DangerousAddRef'd on this
    /// handle's behalf; they are released after the native object is destroyed.</param>
    protected RocksHandle(nint handle, SafeHandle[]? referencedParents = null) : base(0, ownsHandle: true)
    {
        _parents = referencedParents ?? [];
        if (handle == 0)
        {
            ReleaseParents();
            throw new OutOfMemoryException($"RocksDB returned no {GetType().Name}");
        }
        SetHandle(handle);
    }

    public override bool IsInvalid => handle == 0;

    protected abstract void Destroy(nint native);

    protected sealed override bool ReleaseHandle()
    {
        Destroy(handle);
        ReleaseParents();
        return true;
    }

    private void ReleaseParents()
    {
        foreach (var parent in _parents)
            parent.DangerousRelease();
    }

    /// <summary>Adds a reference to each handle, undoing them all if one is already closed.</summary>
    public static SafeHandle[] AddRefs(params SafeHandle[] handles)
    {
        int taken = 0;
        try
        {
            for (; taken < handles.Length; taken++)
            {
                bool added = false;
                handles[taken].DangerousAddRef(ref added);
            }
            return handles;
        }
        catch
        {
            for (int i = 0; i < taken; i++)
                handles[i].DangerousRelease();
            throw;
        }
    }
}

internal sealed class OptionsHandle() : RocksHandle(Native.rocksdb_options_create())
{
    protected override void Destroy(nint native) => Native.rocksdb_options_destroy(native);
}

internal sealed class BlockBasedOptionsHandle() : RocksHandle(Native.rocksdb_block_based_options_create())
{
    protected override void Destroy(nint native) => Native.rocksdb_block_based_options_destroy(native);
}

/// <summary>
/// An LRU block cache. The table factory keeps its own shared_ptr to the cache, so this handle
/// may go before the database; the database keeps it only to report usage.
/// </summary>
internal sealed class CacheHandle(long capacityBytes) : RocksHandle(Native.rocksdb_cache_create_lru(checked((nuint)capacityBytes)))
{
    protected override void Destroy(nint native) => Native.rocksdb_cache_destroy(native);
}

/// <summary>
/// A bloom filter policy. rocksdb_block_based_options_set_filter_policy takes ownership, so after
/// that call the handle must be given up with <see cref="SafeHandle.SetHandleAsInvalid"/>.
/// </summary>
internal sealed class FilterPolicyHandle(double bitsPerKey) : RocksHandle(Native.rocksdb_filterpolicy_create_bloom_full(bitsPerKey))
{
    protected override void Destroy(nint native) => Native.rocksdb_filterpolicy_destroy(native);
}

internal sealed class ReadOptionsHandle() : RocksHandle(Native.rocksdb_readoptions_create())
{
    protected override void Destroy(nint native) => Native.rocksdb_readoptions_destroy(native);
}

internal sealed class WriteOptionsHandle() : RocksHandle(Native.rocksdb_writeoptions_create())
{
    protected override void Destroy(nint native) => Native.rocksdb_writeoptions_destroy(native);
}

internal sealed class WriteBatchHandle() : RocksHandle(Native.rocksdb_writebatch_create())
{
    protected override void Destroy(nint native) => Native.rocksdb_writebatch_destroy(native);
}

internal sealed class DatabaseHandle(nint db) : RocksHandle(db)
{
    protected override void Destroy(nint native) => Native.rocksdb_close(native);
}

/// <summary>A column family; it holds a reference on its database, which it must not outlive.</summary>
internal sealed class ColumnFamilyHandle(nint family, DatabaseHandle db)
    : RocksHandle(family, AddRefs(db))
{
    protected override void Destroy(nint native) => Native.rocksdb_column_family_handle_destroy(native);
}

/// <summary>
/// An iterator. RocksDB reads its bounds through pointers into the read options, which point into
/// native buffers, so all of them (and the database and family) are parents of the iterator.
/// </summary>
internal sealed class IteratorHandle(nint iterator, SafeHandle[] referencedParents)
    : RocksHandle(iterator, referencedParents)
{
    protected override void Destroy(nint native) => Native.rocksdb_iter_destroy(native);
}

/// <summary>A copy of some bytes in native memory, for pointers RocksDB keeps (iterator bounds).</summary>
internal sealed unsafe class NativeBufferHandle : RocksHandle
{
    public NativeBufferHandle(ReadOnlySpan<byte> bytes) : base(Copy(bytes)) => Length = bytes.Length;

    public int Length { get; }

    public byte* Pointer => (byte*)handle;

    private static nint Copy(ReadOnlySpan<byte> bytes)
    {
        var native = (byte*)NativeMemory.Alloc((nuint)Math.Max(bytes.Length, 1));
        bytes.CopyTo(new Span<byte>(native, bytes.Length));
        return (nint)native;
    }

    protected override void Destroy(nint native) => NativeMemory.Free((void*)native);
}
