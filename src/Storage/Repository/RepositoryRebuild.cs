using Bunker.Chunking;
using Bunker.Index;
using Bunker.Storage.Crypto;
using Bunker.Storage.Packs;
using Bunker.Storage.Stores;

namespace Bunker.Storage;

/// <summary>What a rebuild read back from the store, and what it had to skip.</summary>
public sealed record RebuildReport(RepositoryId Repository, int Packs, long Chunks, int Snapshots, IReadOnlyList<string> Problems);

public sealed partial class Repository
{
    /// <summary>
    /// Rebuilds this repository's part of the index from the store alone (invariant 7): the config
    /// gives the data key, every pack's table gives its chunks, every manifest object gives a
    /// snapshot. Whatever the index held for the repository before is dropped first. A damaged
    /// pack or manifest is reported and skipped, never a reason to stop.
    /// </summary>
    public static async Task<RebuildReport> RebuildIndexAsync(IPackStore store, BunkerIndex index, MasterKey masterKey, CancellationToken cancellationToken = default)
    {
        var config = await ReadConfigAsync(store, cancellationToken).ConfigureAwait(false);
        var dataKey = RepositoryKeys.Open(masterKey, config.Keys, config.Id);
        await using var repository = new Repository(store, index, config, dataKey, new RepositoryOptions { Writers = 1 });
        return await repository.RebuildAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<RebuildReport> RebuildAsync(CancellationToken cancellationToken)
    {
        // A forget begun over this index may have left its manifest in the store; finish it first,
        // or the rebuild would read that manifest back and bring the deleted snapshot back.
        await FinishOpenForgetsAsync(cancellationToken).ConfigureAwait(false);
        ClearIndex();
        var problems = new List<string>();
        int packs = 0, snapshots = 0;
        long chunks = 0;

        await foreach (var info in _store.ListAsync(StoreObjectKind.Pack, cancellationToken).ConfigureAwait(false))
        {
            var packId = PackId.Parse(info.Name);
            try
            {
                var table = await PackReader.ReadTableAsync(_store, packId, _cipher, cancellationToken).ConfigureAwait(false);
                IndexPack(table, info.Location, null);
                packs++;
                chunks += table.Entries.Count;
            }
            catch (PackException e)
            {
                problems.Add(e.Message);
            }
        }

        await foreach (var info in _store.ListAsync(StoreObjectKind.Snapshot, cancellationToken).ConfigureAwait(false))
        {
            var id = SnapshotId.Parse(info.Name);
            try
            {
                byte[] plain = await ReadManifestObjectAsync(id, cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidDataException($"snapshot {id} vanished from the store during the rebuild");
                var record = ToRecord(id, plain);
                using var batch = _index.CreateBatch();
                batch.PutSnapshot(record);
                _index.Write(batch);
                snapshots++;
            }
            catch (Exception e) when (e is InvalidDataException or StoreException)
            {
                problems.Add(e.Message);
            }
        }
        return new RebuildReport(Id, packs, chunks, snapshots, problems);
    }

    /// <summary>Drops every index record of this repository, in bounded batches.</summary>
    private void ClearIndex()
    {
        const int BatchSize = 10_000;
        var digests = new List<ChunkDigest>(BatchSize);
        while (true)
        {
            digests.Clear();
            foreach (var pair in _index.Chunks.Scan(Id))
            {
                digests.Add(pair.Key);
                if (digests.Count == BatchSize) break;
            }
            if (digests.Count == 0) break;
            using var batch = _index.CreateBatch();
            foreach (var digest in digests)
                batch.DeleteChunk(Id, digest);
            _index.Write(batch, sync: false);
        }

        using (var batch = _index.CreateBatch())
        {
            foreach (var pack in _index.Packs.Scan(Id))
                batch.DeletePack(Id, pack.Id);
            foreach (var snapshot in _index.Snapshots.List(Id))
                batch.DeleteSnapshot(snapshot);
            _index.Write(batch);
        }
        DeleteMetaPrefix(IntentScanPrefix(PackIntentPrefix));
        DeleteMetaPrefix(IntentScanPrefix(SnapshotIntentPrefix));
    }
}
