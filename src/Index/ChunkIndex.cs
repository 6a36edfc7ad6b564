using System.Buffers;
using Bunker.Chunking;
using Bunker.Index.RocksDb;
using Bunker.Index.Serialization;

namespace Bunker.Index;

/// <summary>
/// Where each chunk of each repository is stored. Key: repository(16) || digest(32). Value, fixed
/// 45 bytes: pack(32) || offset u32 LE || stored length u32 LE || raw length u32 LE || codec u8.
/// Thread-safe.
/// </summary>
public sealed class ChunkIndex
{
    internal const string FamilyName = "chunks";
    internal const int KeyLength = RepositoryKeys.IdKeyLength;
    internal const int ValueLength = PackId.Size + 3 * sizeof(uint) + 1;

    private readonly RocksDatabase _db;
    private readonly ColumnFamilyHandle _family;

    internal ChunkIndex(RocksDatabase db)
    {
        _db = db;
        _family = db.GetColumnFamily(FamilyName);
    }

    public bool TryGet(RepositoryId repo, in ChunkDigest digest, out ChunkLocation location)
    {
        Span<byte> key = stackalloc byte[KeyLength];
        WriteKey(key, repo, digest);
        return _db.TryGet(_family, key, DecodeEntry, out location);
    }

    /// <summary>
    /// Looks up many digests at once (the dedup query: thousands per call). <paramref name="found"/>[i]
    /// says whether <paramref name="digests"/>[i] is indexed, and if so <paramref name="locations"/>[i]
    /// is where; an absent digest leaves its location default.
    /// </summary>
    public void MultiGet(RepositoryId repo, ReadOnlySpan<ChunkDigest> digests, Span<ChunkLocation> locations, Span<bool> found)
    {
        if (locations.Length < digests.Length)
            throw new ArgumentException("locations is shorter than digests", nameof(locations));
        var sink = new LocationSink(repo, digests, locations, found);
        Lookup(repo, digests, found, ref sink);
    }

    /// <summary>Which digests are indexed, without decoding where; returns how many are.</summary>
    public int CountPresent(RepositoryId repo, ReadOnlySpan<ChunkDigest> digests, Span<bool> found)
    {
        var sink = new PresenceSink(found);
        Lookup(repo, digests, found, ref sink);
        return sink.Present;
    }

    private void Lookup<TSink>(RepositoryId repo, ReadOnlySpan<ChunkDigest> digests, Span<bool> found, ref TSink sink)
        where TSink : IMultiGetSink, allows ref struct
    {
        if (found.Length < digests.Length)
            throw new ArgumentException("found is shorter than digests", nameof(found));
        if (digests.IsEmpty)
            return;
        // One pooled buffer per call holds every key back to back; no allocation per key.
        byte[] keys = ArrayPool<byte>.Shared.Rent(digests.Length * KeyLength);
        try
        {
            for (int i = 0; i < digests.Length; i++)
                WriteKey(keys.AsSpan(i * KeyLength, KeyLength), repo, digests[i]);
            _db.MultiGet(_family, keys.AsSpan(0, digests.Length * KeyLength), KeyLength, ref sink);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(keys);
        }
    }

    /// <summary>Streams the repository's chunks in digest order, from one iterator.</summary>
    public IEnumerable<KeyValuePair<ChunkDigest, ChunkLocation>> Scan(RepositoryId repo)
        => _db.ScanPrefix(_family, repo.ToArray(), static (key, value) =>
            KeyValuePair.Create(new ChunkDigest(key[RepositoryId.Size..]), DecodeEntry(key, value)));

    /// <summary>Counts the repository's chunks by walking its keys: O(n), meant for verification and stats.</summary>
    public long Count(RepositoryId repo) => RepositoryKeys.Count(_db, _family, repo);

    internal void Put(WriteBatch batch, RepositoryId repo, in ChunkDigest digest, in ChunkLocation location)
    {
        if (!Enum.IsDefined(location.Codec))
            throw new ArgumentException($"unknown codec {(byte)location.Codec}", nameof(location));
        Span<byte> key = stackalloc byte[KeyLength];
        Span<byte> value = stackalloc byte[ValueLength];
        WriteKey(key, repo, digest);
        location.Pack.CopyTo(value);
        var writer = new ValueWriter(value[PackId.Size..]);
        writer.UInt32LittleEndian(location.Offset);
        writer.UInt32LittleEndian(location.StoredLength);
        writer.UInt32LittleEndian(location.RawLength);
        writer.Byte((byte)location.Codec);
        batch.Put(_family, key, value);
    }

    internal void Delete(WriteBatch batch, RepositoryId repo, in ChunkDigest digest)
    {
        Span<byte> key = stackalloc byte[KeyLength];
        WriteKey(key, repo, digest);
        batch.Delete(_family, key);
    }

    private static void WriteKey(Span<byte> key, RepositoryId repo, in ChunkDigest digest)
        => digest.CopyTo(RepositoryKeys.Scope(key, repo));

    private static ChunkLocation DecodeEntry(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        => DecodeValue(value, RepositoryKeys.RepositoryOf(key), new ChunkDigest(key[RepositoryId.Size..]));

    private static ChunkLocation DecodeValue(ReadOnlySpan<byte> value, RepositoryId repo, in ChunkDigest digest)
    {
        try
        {
            if (value.Length != ValueLength)
                throw new InvalidDataException($"expected {ValueLength} bytes, found {value.Length}");
            var reader = new ValueReader(value);
            var pack = new PackId(reader.Bytes(PackId.Size));
            uint offset = reader.UInt32LittleEndian();
            uint stored = reader.UInt32LittleEndian();
            uint raw = reader.UInt32LittleEndian();
            var codec = (ChunkCodec)reader.Byte();
            if (!Enum.IsDefined(codec))
                throw new InvalidDataException($"unknown codec {(byte)codec}");
            return new ChunkLocation(pack, offset, stored, raw, codec);
        }
        catch (InvalidDataException ex)
        {
            throw IndexCorruption.At(FamilyName, $"{repo}/{digest}", ex);
        }
    }

    private ref struct LocationSink(RepositoryId repo, ReadOnlySpan<ChunkDigest> digests, Span<ChunkLocation> locations, Span<bool> found)
        : IMultiGetSink
    {
        private readonly ReadOnlySpan<ChunkDigest> _digests = digests;
        private readonly Span<ChunkLocation> _locations = locations;
        private readonly Span<bool> _found = found;

        public readonly void Found(int index, ReadOnlySpan<byte> value)
        {
            _locations[index] = DecodeValue(value, repo, _digests[index]);
            _found[index] = true;
        }

        public readonly void Missing(int index)
        {
            _locations[index] = default;
            _found[index] = false;
        }
    }

    private ref struct PresenceSink(Span<bool> found) : IMultiGetSink
    {
        private readonly Span<bool> _found = found;

        public int Present { get; private set; }

        public void Found(int index, ReadOnlySpan<byte> value)
        {
            _found[index] = true;
            Present++;
        }

        public readonly void Missing(int index) => _found[index] = false;
    }
}
