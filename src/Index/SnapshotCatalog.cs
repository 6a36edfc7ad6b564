using System.Diagnostics.CodeAnalysis;
using Bunker.Index.RocksDb;
using Bunker.Index.Serialization;

namespace Bunker.Index;

/// <summary>
/// Committed snapshots. Primary (CF snapshots): repository(16) || id(32) → version(1) || host ||
/// source kind || source id (varint-prefixed UTF-8) || time UTC ticks (u64 BE) || varint-prefixed
/// manifest. Secondary (CF snapshots_by_source): repository || host || source kind || source id
/// (each u16-BE-prefixed UTF-8) || sortable unix ns (u64 BE) || id → empty, which orders a
/// source's snapshots by time. Both keys are written in one batch. Thread-safe.
/// </summary>
public sealed class SnapshotCatalog
{
    internal const string FamilyName = "snapshots";
    internal const string BySourceFamilyName = "snapshots_by_source";
    private const int KeyLength = RepositoryKeys.IdKeyLength;
    private const int TimeAndIdLength = sizeof(ulong) + SnapshotId.Size;
    private const byte Version = 1;

    private readonly RocksDatabase _db;
    private readonly ColumnFamilyHandle _snapshots;
    private readonly ColumnFamilyHandle _bySource;

    internal SnapshotCatalog(RocksDatabase db)
    {
        _db = db;
        _snapshots = db.GetColumnFamily(FamilyName);
        _bySource = db.GetColumnFamily(BySourceFamilyName);
    }

    public bool TryGet(RepositoryId repo, SnapshotId id, [MaybeNullWhen(false)] out SnapshotRecord record)
    {
        Span<byte> key = stackalloc byte[KeyLength];
        WriteKey(key, repo, id);
        return _db.TryGet(_snapshots, key, DecodeEntry, out record);
    }

    /// <summary>All of the repository's snapshots, ordered by time, then id.</summary>
    public IEnumerable<SnapshotRecord> List(RepositoryId repo)
        => LoadInTimeOrder(repo, SourcePrefix(repo));

    /// <summary>The snapshots taken on <paramref name="host"/>, ordered by time, then id.</summary>
    public IEnumerable<SnapshotRecord> ListByHost(RepositoryId repo, string host)
        => LoadInTimeOrder(repo, SourcePrefix(repo, host));

    /// <summary>The snapshots of one source kind taken on <paramref name="host"/>, ordered by time, then id.</summary>
    public IEnumerable<SnapshotRecord> ListByKind(RepositoryId repo, string host, string sourceKind)
        => LoadInTimeOrder(repo, SourcePrefix(repo, host, sourceKind));

    /// <summary>One source's snapshots, ordered by time, then id; streamed, as the secondary keys
    /// already sort that way.</summary>
    public IEnumerable<SnapshotRecord> ListBySource(RepositoryId repo, string host, string sourceKind, string sourceId)
    {
        byte[] prefix = SourcePrefix(repo, host, sourceKind, sourceId);
        foreach (var (_, id) in _db.ScanPrefix(_bySource, prefix, static (key, _) => DecodeTimeAndId(key)))
            yield return Load(repo, id);
    }

    public int Count(RepositoryId repo)
        => checked((int)RepositoryKeys.Count(_db, _snapshots, repo));

    internal void Put(WriteBatch batch, SnapshotRecord snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(snapshot.Manifest);
        // First, so a time or field out of range throws before anything is in the batch.
        byte[] secondaryKey = SecondaryKey(snapshot);
        Span<byte> key = stackalloc byte[KeyLength];
        WriteKey(key, snapshot.Repository, snapshot.Id);
        int size = 1 + ValueWriter.SizeOfString(snapshot.Host) + ValueWriter.SizeOfString(snapshot.SourceKind)
            + ValueWriter.SizeOfString(snapshot.SourceId) + sizeof(ulong)
            + ValueWriter.SizeOfVarUInt((ulong)snapshot.Manifest.Length) + snapshot.Manifest.Length;
        var writer = new ValueWriter(new byte[size]);
        writer.Byte(Version);
        writer.String(snapshot.Host);
        writer.String(snapshot.SourceKind);
        writer.String(snapshot.SourceId);
        writer.UInt64BigEndian((ulong)snapshot.Time.UtcTicks);
        writer.VarUInt((ulong)snapshot.Manifest.Length);
        writer.Bytes(snapshot.Manifest);
        batch.Put(_snapshots, key, writer.Written);
        batch.Put(_bySource, secondaryKey, []);
    }

    internal void Delete(WriteBatch batch, SnapshotRecord snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        byte[] secondaryKey = SecondaryKey(snapshot);
        Span<byte> key = stackalloc byte[KeyLength];
        WriteKey(key, snapshot.Repository, snapshot.Id);
        batch.Delete(_snapshots, key);
        batch.Delete(_bySource, secondaryKey);
    }

    private IEnumerable<SnapshotRecord> LoadInTimeOrder(RepositoryId repo, byte[] prefix)
    {
        // Under a repository or a host the secondary keys sort by source first, so gather only the
        // (time, id) tails (40 bytes a snapshot, never the manifests), sort, then load each.
        var entries = new List<(ulong Time, SnapshotId Id)>();
        foreach (var entry in _db.ScanPrefix(_bySource, prefix, static (key, _) => DecodeTimeAndId(key)))
            entries.Add(entry);
        entries.Sort(static (a, b) => a.Time != b.Time ? a.Time.CompareTo(b.Time) : a.Id.CompareTo(b.Id));
        foreach (var (_, id) in entries)
            yield return Load(repo, id);
    }

    private SnapshotRecord Load(RepositoryId repo, SnapshotId id)
        => TryGet(repo, id, out var record)
            ? record
            : throw IndexCorruption.At(BySourceFamilyName, $"{repo}/{id}", new InvalidDataException("secondary entry has no snapshot record"));

    private static (ulong Time, SnapshotId Id) DecodeTimeAndId(ReadOnlySpan<byte> key)
    {
        if (key.Length < RepositoryId.Size + 6 + TimeAndIdLength)
            throw IndexCorruption.At(BySourceFamilyName, Convert.ToHexStringLower(key), new InvalidDataException("key too short"));
        var tail = new ValueReader(key[^TimeAndIdLength..]);
        return (tail.UInt64BigEndian(), new SnapshotId(tail.Bytes(SnapshotId.Size)));
    }

    private static byte[] SecondaryKey(SnapshotRecord snapshot)
    {
        byte[] prefix = SourcePrefix(snapshot.Repository, snapshot.Host, snapshot.SourceKind, snapshot.SourceId);
        var key = new byte[prefix.Length + TimeAndIdLength];
        var writer = new ValueWriter(key);
        writer.Bytes(prefix);
        writer.UInt64BigEndian(TimeCodec.ToSortableNanoseconds(snapshot.Time));
        snapshot.Id.CopyTo(key.AsSpan(writer.Length));
        return key;
    }

    /// <summary>The secondary-key prefix for a repository and its first few grouping fields.</summary>
    private static byte[] SourcePrefix(RepositoryId repo, params ReadOnlySpan<string> fields)
    {
        int size = RepositoryId.Size;
        foreach (var field in fields)
            size += ValueWriter.SizeOfString16(field);
        var prefix = new byte[size];
        repo.CopyTo(prefix);
        var writer = new ValueWriter(prefix.AsSpan(RepositoryId.Size));
        foreach (var field in fields)
            writer.String16(field);
        return prefix;
    }

    private static void WriteKey(Span<byte> key, RepositoryId repo, SnapshotId id) => id.CopyTo(RepositoryKeys.Scope(key, repo));

    private static SnapshotRecord DecodeEntry(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var repo = RepositoryKeys.RepositoryOf(key);
        var id = new SnapshotId(key[RepositoryId.Size..]);
        try
        {
            var reader = new ValueReader(value);
            reader.Version(Version);
            string host = reader.String();
            string kind = reader.String();
            string source = reader.String();
            var time = TimeCodec.FromUtcTicks(reader.UInt64BigEndian());
            byte[] manifest = reader.Bytes(checked((int)reader.VarUInt())).ToArray();
            reader.End();
            return new SnapshotRecord(id, repo, host, kind, source, time, manifest);
        }
        catch (Exception ex) when (ex is InvalidDataException or OverflowException)
        {
            throw IndexCorruption.At(FamilyName, $"{repo}/{id}", ex);
        }
    }
}
