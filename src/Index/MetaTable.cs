using Bunker.Index.RocksDb;

namespace Bunker.Index;

/// <summary>
/// Small opaque records for bookkeeping, such as crash-recovery intents ("pack X is being
/// written"). Keys are global, not repository-scoped: callers choose their own prefixes.
/// Thread-safe.
/// </summary>
public sealed class MetaTable
{
    internal const string FamilyName = "meta";

    private readonly RocksDatabase _db;
    private readonly ColumnFamilyHandle _family;

    internal MetaTable(RocksDatabase db)
    {
        _db = db;
        _family = db.GetColumnFamily(FamilyName);
    }

    public bool TryGet(ReadOnlySpan<byte> key, out byte[] value)
    {
        using var pinned = _db.Get(_family, key);
        value = pinned.Found ? pinned.Span.ToArray() : [];
        return pinned.Found;
    }

    /// <summary>Streams the records whose keys start with <paramref name="prefix"/>, in key order.</summary>
    public IEnumerable<KeyValuePair<byte[], byte[]>> ScanPrefix(ReadOnlySpan<byte> prefix)
        => _db.ScanPrefix(_family, prefix.ToArray(), static (key, value) => KeyValuePair.Create(key.ToArray(), value.ToArray()));

    internal void Put(WriteBatch batch, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (key.IsEmpty)
            throw new ArgumentException("a meta key must not be empty", nameof(key));
        batch.Put(_family, key, value);
    }

    internal void Delete(WriteBatch batch, ReadOnlySpan<byte> key) => batch.Delete(_family, key);
}
