using System.Buffers;
using Bunker.Chunking;
using Bunker.Index;
using Bunker.Protocol.V1;
using Bunker.Storage.Crypto;
using Bunker.Storage.Stores;
using Google.Protobuf;

namespace Bunker.Storage;

public sealed partial class Repository
{
    private static ReadOnlySpan<byte> ManifestDomain => "bunker/manifest/v1"u8;
    private const uint ManifestVersion = 1;

    /// <summary>Starts the index of one named archive of a snapshot being taken.</summary>
    public ArchiveWriter CreateArchive(string name) => new(this, name);

    /// <summary>
    /// Commits a snapshot. It is refused, and nothing becomes visible, if any chunk an archive
    /// references is missing or could not be made durable. Otherwise, when this returns, the
    /// manifest is durable in the store and listed in the catalog (invariant 2). A draft marked
    /// <see cref="SnapshotDraft.CreateOnce"/> returns its source's existing snapshot instead when the
    /// archives are identical, and throws <see cref="SnapshotConflictException"/> when they differ.
    /// </summary>
    public async Task<SnapshotRecord> CommitSnapshotAsync(SnapshotDraft draft, IReadOnlyList<ArchiveWriter> archives, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        ValidateDraft(draft, archives);
        // The oldest archive's start is where chunks in open packs were first counted on.
        int epoch = LostPackEpoch;
        foreach (var archive in archives)
            epoch = Math.Min(epoch, archive.StartEpoch);

        var refs = new List<ArchiveRef>(archives.Count);
        foreach (var archive in archives)
            refs.Add(await archive.CompleteAsync(cancellationToken).ConfigureAwait(false));
        foreach (var archive in archives)
        {
            if (archive.MissingCount > 0)
                throw new SnapshotRefusedException($"archive '{archive.Name}' references {archive.MissingCount} chunk(s) the repository does not hold", archive.FirstMissing);
        }

        await FlushAsync(cancellationToken).ConfigureAwait(false);
        if (LostPackEpoch != epoch)
            throw new SnapshotRefusedException("a pack write failed while this snapshot was being taken, so chunks it counted on may be lost; take it again (chunks already stored are not re-sent)");

        if (!draft.CreateOnce)
            return await StoreSnapshotAsync(draft, refs, cancellationToken).ConfigureAwait(false);

        // The check and the write must be one step, or two concurrent pushes of one name would both
        // find nothing and both commit. Only the catalog work is serialised, not completion or flush.
        await _createOnceLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return FindCreatedOnce(draft, refs) ?? await StoreSnapshotAsync(draft, refs, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _createOnceLock.Release();
        }
    }

    /// <summary>Writes the manifest (intent, store, catalog: invariant 2) and returns its record.</summary>
    private async Task<SnapshotRecord> StoreSnapshotAsync(SnapshotDraft draft, List<ArchiveRef> refs, CancellationToken cancellationToken)
    {
        var manifest = BuildManifest(draft, refs);
        byte[] plain = manifest.ToByteArray();
        var id = SnapshotId.FromHash(ChunkDigest.Compute(plain));
        var record = ToRecord(id, plain);

        byte[] intent = IntentKey(SnapshotIntentPrefix, id.ToArray());
        using (var batch = _index.CreateBatch())
        {
            batch.PutMeta(intent, []);
            _index.Write(batch);
        }
        FaultPoints.Hit(FaultPoints.SnapshotIntent);

        await _store.PutAsync(StoreObjectKind.Snapshot, id.ToString(), SealManifest(plain), cancellationToken).ConfigureAwait(false);
        FaultPoints.Hit(FaultPoints.SnapshotStored);

        using (var batch = _index.CreateBatch())
        {
            batch.PutSnapshot(record);
            batch.DeleteMeta(intent);
            _index.Write(batch);
        }
        return record;
    }

    /// <summary>Every snapshot of this repository, oldest first.</summary>
    public IEnumerable<SnapshotRecord> ListSnapshots() => _index.Snapshots.List(Id);

    /// <summary>
    /// Snapshots oldest first, narrowed through the index by whichever of <paramref name="host"/>, then
    /// <paramref name="sourceKind"/>, then <paramref name="sourceId"/> are given (empty: any). The caller still
    /// filters: a later field without the earlier ones narrows nothing here.
    /// </summary>
    public IEnumerable<SnapshotRecord> CandidateSnapshots(string host, string sourceKind, string sourceId)
    {
        if (host.Length == 0) return ListSnapshots();
        if (sourceKind.Length == 0) return _index.Snapshots.ListByHost(Id, host);
        if (sourceId.Length == 0) return _index.Snapshots.ListByKind(Id, host, sourceKind);
        return ListSnapshots(host, sourceKind, sourceId);
    }

    /// <summary>Snapshots of one source on one host, oldest first.</summary>
    public IEnumerable<SnapshotRecord> ListSnapshots(string host, string sourceKind, string sourceId) =>
        _index.Snapshots.ListBySource(Id, host, sourceKind, sourceId);

    /// <summary>Loads a snapshot's manifest from the catalog, or from the store if the catalog lacks it.</summary>
    public async Task<SnapshotManifest> LoadManifestAsync(SnapshotId id, CancellationToken cancellationToken = default)
    {
        if (_index.Snapshots.TryGet(Id, id, out var record))
            return ParseManifest(id, record.Manifest);
        byte[] plain = await ReadManifestObjectAsync(id, cancellationToken).ConfigureAwait(false)
            ?? throw new SnapshotNotFoundException(Id, id);
        return ParseManifest(id, plain);
    }

    /// <summary>
    /// Reads a manifest object from the store, authenticated and checked against its name; null
    /// when the store has none. Damage is an <see cref="InvalidDataException"/> naming the snapshot.
    /// </summary>
    internal async Task<byte[]?> ReadManifestObjectAsync(SnapshotId id, CancellationToken cancellationToken)
    {
        byte[] sealedBytes;
        try
        {
            sealedBytes = await _store.ReadAllAsync(StoreObjectKind.Snapshot, id.ToString(), cancellationToken).ConfigureAwait(false);
        }
        catch (StoreObjectNotFoundException)
        {
            return null;
        }
        return OpenManifest(id, sealedBytes);
    }

    /// <summary>Streams an archive's entries in order, with their offsets, reading one index chunk at a time.</summary>
    public async IAsyncEnumerable<ArchiveEntry> ReadArchiveAsync(ArchiveRef archive, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ulong offset = 0;
        ulong count = 0;
        foreach (var indexChunk in archive.IndexChunks)
        {
            byte[] chunk = await GetAsync(new ChunkDigest(indexChunk.Span), cancellationToken).ConfigureAwait(false);
            int entries = ArchiveIndexFormat.CountEntries(chunk);
            for (int i = 0; i < entries; i++)
            {
                var (digest, length) = ArchiveIndexFormat.ReadEntry(chunk, i);
                yield return new ArchiveEntry(digest, length, offset);
                offset += length;
                count++;
            }
        }
        if (offset != archive.Size || count != archive.ChunkCount)
            throw new InvalidDataException($"archive '{archive.Name}' index holds {count} chunks and {offset} bytes but its manifest says {archive.ChunkCount} and {archive.Size}");
    }

    /// <summary>Writes an archive's bytes, in order, to <paramref name="destination"/>. Every chunk is verified on the way.</summary>
    public async Task RestoreArchiveAsync(ArchiveRef archive, Stream destination, CancellationToken cancellationToken = default)
    {
        byte[]? zeros = null;
        await foreach (var entry in ReadArchiveAsync(archive, cancellationToken).ConfigureAwait(false))
        {
            if (entry.Digest.IsHole)
            {
                zeros ??= new byte[Packs.PackFormat.MaxChunkSize];
                await destination.WriteAsync(zeros.AsMemory(0, (int)entry.Length), cancellationToken).ConfigureAwait(false);
                continue;
            }
            byte[] data = await GetAsync(entry.Digest, cancellationToken).ConfigureAwait(false);
            if (data.Length != entry.Length)
                throw new InvalidDataException($"chunk {entry.Digest} at offset {entry.Offset} of archive '{archive.Name}' has {data.Length} bytes, the index says {entry.Length}");
            await destination.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        }
    }

    private static void ValidateDraft(SnapshotDraft draft, IReadOnlyList<ArchiveWriter> archives)
    {
        if (string.IsNullOrWhiteSpace(draft.SourceKind) || string.IsNullOrWhiteSpace(draft.Host))
            throw new ArgumentException("a snapshot needs a source kind and a host");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var archive in archives)
        {
            if (!names.Add(archive.Name))
                throw new ArgumentException($"archive name '{archive.Name}' appears twice");
        }
    }

    private SnapshotManifest BuildManifest(SnapshotDraft draft, List<ArchiveRef> refs)
    {
        var committed = _options.Clock.GetUtcNow();
        var time = draft.Time ?? committed;
        var manifest = new SnapshotManifest
        {
            Version = ManifestVersion,
            RepositoryId = ByteString.CopyFrom(Id.ToArray()),
            SourceKind = draft.SourceKind,
            Host = draft.Host,
            SourceId = draft.SourceId,
            TimeUnixNanos = (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100,
            CommittedUnixNanos = (committed.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100,
            ParentId = draft.Parent is { } parent ? ByteString.CopyFrom(parent.ToArray()) : ByteString.Empty,
        };
        manifest.Paths.AddRange(draft.Paths);
        manifest.Tags.AddRange(draft.Tags);
        foreach (var (key, value) in draft.Labels)
            manifest.Labels[key] = value;
        manifest.Archives.AddRange(refs);
        return manifest;
    }

    private byte[] SealManifest(ReadOnlySpan<byte> plain)
    {
        var sealedBytes = new byte[plain.Length + ChunkCipher.Overhead];
        _cipher.Seal(plain, ManifestDomain, sealedBytes);
        return sealedBytes;
    }

    private byte[] OpenManifest(SnapshotId id, ReadOnlySpan<byte> sealedBytes)
    {
        if (sealedBytes.Length < ChunkCipher.Overhead)
            throw new InvalidDataException($"snapshot {id}: its manifest object is truncated ({sealedBytes.Length} bytes)");
        var plain = new byte[sealedBytes.Length - ChunkCipher.Overhead];
        try
        {
            _cipher.Open(sealedBytes, ManifestDomain, plain);
        }
        catch (BunkerCryptoException e)
        {
            throw new InvalidDataException($"snapshot {id}: its manifest fails authentication (altered, damaged, or another repository's)", e);
        }
        if (SnapshotId.FromHash(ChunkDigest.Compute(plain)) != id)
            throw new InvalidDataException($"snapshot {id}: its manifest does not hash to its name");
        return plain;
    }

    private SnapshotManifest ParseManifest(SnapshotId id, byte[] plain)
    {
        SnapshotManifest manifest;
        try
        {
            manifest = SnapshotManifest.Parser.ParseFrom(plain);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"snapshot {id}: its manifest does not parse: {e.Message}", e);
        }
        if (manifest.Version != ManifestVersion)
            throw new InvalidDataException($"snapshot {id}: manifest version {manifest.Version} is not supported");
        if (manifest.RepositoryId.Length != RepositoryId.Size || new RepositoryId(manifest.RepositoryId.Span) != Id)
            throw new InvalidDataException($"snapshot {id}: its manifest belongs to another repository");
        return manifest;
    }

    internal SnapshotRecord ToRecord(SnapshotId id, byte[] plain)
    {
        var manifest = ParseManifest(id, plain);
        return new SnapshotRecord(id, Id, manifest.Host, manifest.SourceKind, manifest.SourceId,
            DateTimeOffset.UnixEpoch.AddTicks(manifest.TimeUnixNanos / 100), plain);
    }
}
