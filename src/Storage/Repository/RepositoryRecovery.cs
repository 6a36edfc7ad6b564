using Bunker.Index;
using Bunker.Storage.Packs;
using Bunker.Storage.Stores;

namespace Bunker.Storage;

/// <summary>What an open found half done by an earlier run that died, and how it settled each.</summary>
public sealed record RecoveryReport(
    int RecoveredPacks, int AbandonedPacks, int RecoveredSnapshots, int AbandonedSnapshots, int CompletedForgets,
    int TemporaryFiles, long TemporaryBytes, IReadOnlyList<string> Problems)
{
    public static readonly RecoveryReport Empty = new(0, 0, 0, 0, 0, 0, 0, []);
    public bool FoundAnything => this != Empty && (RecoveredPacks | AbandonedPacks | RecoveredSnapshots | AbandonedSnapshots | CompletedForgets | TemporaryFiles | Problems.Count) != 0;
}

public sealed partial class Repository
{
    // Intents are written (synced) before an object goes to the store and cleared in the same
    // batch that indexes it, so after a crash they list exactly the objects whose fate is open.
    private static ReadOnlySpan<byte> PackIntentPrefix => "intent/pack/"u8;
    private static ReadOnlySpan<byte> SnapshotIntentPrefix => "intent/snapshot/"u8;
    // A forget runs the other way round: the intent is written before the manifest leaves the
    // store and cleared with the catalog record, so an open one always means "finish deleting".
    private static ReadOnlySpan<byte> ForgetIntentPrefix => "intent/forget/"u8;

    private byte[] IntentKey(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> id)
    {
        var key = new byte[prefix.Length + RepositoryId.Size + id.Length];
        prefix.CopyTo(key);
        Id.CopyTo(key.AsSpan(prefix.Length));
        id.CopyTo(key.AsSpan(prefix.Length + RepositoryId.Size));
        return key;
    }

    private byte[] IntentScanPrefix(ReadOnlySpan<byte> prefix) => IntentKey(prefix, []);

    /// <summary>
    /// Settles every open intent: a pack that reached the store is indexed from its own table (its
    /// chunks are good data a retried backup will want); a pack that did not is forgotten. A
    /// manifest that reached the store is a committed snapshot and goes into the catalog; one that
    /// did not was never committed, because its commit never returned. A forget that was begun is
    /// finished, after the commits, so that a snapshot the user asked to delete stays deleted.
    /// </summary>
    private async Task<RecoveryReport> RecoverAsync(CancellationToken cancellationToken)
    {
        int recoveredPacks = 0, abandonedPacks = 0, recoveredSnapshots = 0, abandonedSnapshots = 0;
        var problems = new List<string>();

        foreach (var key in CollectKeys(IntentScanPrefix(PackIntentPrefix)))
        {
            var packId = new PackId(key.AsSpan(key.Length - PackId.Size));
            try
            {
                var table = await PackReader.ReadTableAsync(_store, packId, _cipher, cancellationToken).ConfigureAwait(false);
                string location = await _store.LocateAsync(StoreObjectKind.Pack, packId.ToString(), cancellationToken).ConfigureAwait(false) ?? _store.Name;
                IndexPack(table, location, key);
                recoveredPacks++;
            }
            catch (PackMissingException)
            {
                DeleteMeta(key);
                abandonedPacks++;
            }
            catch (PackException e)
            {
                // The store writes atomically, so this means damage after the fact; keep the object
                // for an operator and let check report it as an orphan.
                problems.Add(e.Message);
                DeleteMeta(key);
            }
        }

        foreach (var key in CollectKeys(IntentScanPrefix(SnapshotIntentPrefix)))
        {
            var id = new SnapshotId(key.AsSpan(key.Length - SnapshotId.Size));
            try
            {
                if (await ReadManifestObjectAsync(id, cancellationToken).ConfigureAwait(false) is not { } plain)
                {
                    DeleteMeta(key);
                    abandonedSnapshots++;
                    continue;
                }
                var record = ToRecord(id, plain);
                using var batch = _index.CreateBatch();
                batch.PutSnapshot(record);
                batch.DeleteMeta(key);
                _index.Write(batch);
                recoveredSnapshots++;
            }
            catch (InvalidDataException e)
            {
                problems.Add(e.Message);
                DeleteMeta(key);
            }
        }

        int completedForgets = await FinishOpenForgetsAsync(cancellationToken).ConfigureAwait(false);

        var sweep = _store is LocalDiskStore local ? local.LastSweep : default;
        var report = new RecoveryReport(recoveredPacks, abandonedPacks, recoveredSnapshots, abandonedSnapshots, completedForgets, sweep.Files, sweep.Bytes, problems);
        return report.FoundAnything ? report : RecoveryReport.Empty;
    }

    /// <summary>
    /// Indexes a pack from its table. A chunk the index already maps elsewhere keeps its place (the
    /// first stored copy wins), so the index never holds two answers and live bytes stay honest.
    /// </summary>
    internal void IndexPack(PackTableContents table, string location, byte[]? intentToClear)
    {
        using var batch = _index.CreateBatch();
        long live = 0;
        foreach (var entry in table.Entries)
        {
            if (_index.Chunks.TryGet(Id, entry.Digest, out _))
                continue;
            batch.PutChunk(Id, entry.Digest, entry.ToLocation(table.Pack));
            live += entry.StoredLength;
        }
        batch.PutPack(Id, new PackRecord(table.Pack, location, table.PackSize, live, table.Entries.Count, table.Created));
        if (intentToClear is not null)
            batch.DeleteMeta(intentToClear);
        _index.Write(batch);
    }

    private List<byte[]> CollectKeys(byte[] prefix)
    {
        var keys = new List<byte[]>();
        foreach (var pair in _index.Meta.ScanPrefix(prefix))
            keys.Add(pair.Key);
        return keys;
    }

    /// <summary>Deletes every meta record under a prefix in bounded batches, never holding the whole set.</summary>
    private void DeleteMetaPrefix(byte[] prefix)
    {
        const int BatchSize = 10_000;
        while (true)
        {
            using var batch = _index.CreateBatch();
            int count = 0;
            foreach (var pair in _index.Meta.ScanPrefix(prefix))
            {
                batch.DeleteMeta(pair.Key);
                if (++count == BatchSize) break;
            }
            if (count == 0) return;
            _index.Write(batch, sync: false);
        }
    }

    private void DeleteMeta(byte[] key)
    {
        using var batch = _index.CreateBatch();
        batch.DeleteMeta(key);
        _index.Write(batch);
    }
}
