using System.Diagnostics.CodeAnalysis;
using Bunker.Index.RocksDb;
using Bunker.Index.Serialization;

namespace Bunker.Index;

/// <summary>
/// The packs of each repository. Key: repository(16) || pack id(32). Value: version(1) ||
/// varint size || varint live bytes || varint chunk count || created UTC ticks (u64 BE) ||
/// varint-prefixed UTF-8 location. Thread-safe.
/// </summary>
public sealed class PackTable
{
    internal const string FamilyName = "packs";
    private const int KeyLength = RepositoryKeys.IdKeyLength;
    private const byte Version = 1;

    private readonly RocksDatabase _db;
    private readonly ColumnFamilyHandle _family;

    internal PackTable(RocksDatabase db)
    {
        _db = db;
        _family = db.GetColumnFamily(FamilyName);
    }

    public bool TryGet(RepositoryId repo, PackId id, [MaybeNullWhen(false)] out PackRecord record)
    {
        Span<byte> key = stackalloc byte[KeyLength];
        WriteKey(key, repo, id);
        return _db.TryGet(_family, key, DecodeEntry, out record);
    }

    /// <summary>Streams the repository's packs in id order.</summary>
    public IEnumerable<PackRecord> Scan(RepositoryId repo)
        => _db.ScanPrefix(_family, repo.ToArray(), DecodeEntry);

    public long Count(RepositoryId repo) => RepositoryKeys.Count(_db, _family, repo);

    internal void Put(WriteBatch batch, RepositoryId repo, PackRecord pack)
    {
        ArgumentNullException.ThrowIfNull(pack);
        ArgumentOutOfRangeException.ThrowIfNegative(pack.Size, nameof(pack));
        ArgumentOutOfRangeException.ThrowIfNegative(pack.LiveBytes, nameof(pack));
        ArgumentOutOfRangeException.ThrowIfNegative(pack.ChunkCount, nameof(pack));
        Span<byte> key = stackalloc byte[KeyLength];
        WriteKey(key, repo, pack.Id);
        int size = 1 + ValueWriter.SizeOfVarUInt((ulong)pack.Size) + ValueWriter.SizeOfVarUInt((ulong)pack.LiveBytes)
            + ValueWriter.SizeOfVarUInt((ulong)pack.ChunkCount) + sizeof(ulong) + ValueWriter.SizeOfString(pack.Location);
        var writer = new ValueWriter(new byte[size]);
        writer.Byte(Version);
        writer.VarUInt((ulong)pack.Size);
        writer.VarUInt((ulong)pack.LiveBytes);
        writer.VarUInt((ulong)pack.ChunkCount);
        writer.UInt64BigEndian((ulong)pack.Created.UtcTicks);
        writer.String(pack.Location);
        batch.Put(_family, key, writer.Written);
    }

    internal void Delete(WriteBatch batch, RepositoryId repo, PackId id)
    {
        Span<byte> key = stackalloc byte[KeyLength];
        WriteKey(key, repo, id);
        batch.Delete(_family, key);
    }

    private static void WriteKey(Span<byte> key, RepositoryId repo, PackId id) => id.CopyTo(RepositoryKeys.Scope(key, repo));

    private static PackRecord DecodeEntry(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var repo = RepositoryKeys.RepositoryOf(key);
        var id = new PackId(key[RepositoryId.Size..]);
        try
        {
            var reader = new ValueReader(value);
            reader.Version(Version);
            long size = reader.VarInt64();
            long live = reader.VarInt64();
            int chunks = checked((int)reader.VarInt64());
            var created = TimeCodec.FromUtcTicks(reader.UInt64BigEndian());
            string location = reader.String();
            reader.End();
            return new PackRecord(id, location, size, live, chunks, created);
        }
        catch (Exception ex) when (ex is InvalidDataException or OverflowException)
        {
            throw IndexCorruption.At(FamilyName, $"{repo}/{id}", ex);
        }
    }
}
