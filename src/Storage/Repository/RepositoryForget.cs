using Bunker.Index;
using Bunker.Storage.Stores;

namespace Bunker.Storage;

public sealed partial class Repository
{
    /// <summary>
    /// Deletes a snapshot: its manifest object and its catalog record. Returns false when neither
    /// exists. Its chunks stay where they are; they become unreferenced, and reclaiming them is GC's
    /// work, not this call's.
    /// </summary>
    /// <remarks>
    /// The order mirrors a commit run backwards. A synced intent comes first, then the manifest
    /// leaves the store, then one batch drops the catalog record and the intent. A crash anywhere
    /// after the intent leaves it open, and the next open finishes the forget (see RecoverAsync), so
    /// a deleted snapshot never comes back half alive: a rebuild reads the store, and the store is
    /// emptied before the catalog.
    /// </remarks>
    public async Task<bool> DeleteSnapshotAsync(SnapshotId id, CancellationToken cancellationToken = default)
    {
        bool cataloged = _index.Snapshots.TryGet(Id, id, out _);
        if (!cataloged && await _store.GetSizeAsync(StoreObjectKind.Snapshot, id.ToString(), cancellationToken).ConfigureAwait(false) is null)
            return false;
        cancellationToken.ThrowIfCancellationRequested();

        byte[] intent = IntentKey(ForgetIntentPrefix, id.ToArray());
        using (var batch = _index.CreateBatch())
        {
            batch.PutMeta(intent, []);
            _index.Write(batch);
        }
        FaultPoints.Hit(FaultPoints.SnapshotForgetIntent);

        // Past the intent the forget is promised. Stopping half way on cancellation would leave a
        // listed snapshot whose manifest may already be gone from the store until the next open.
        await FinishForgetAsync(id, intent, CancellationToken.None).ConfigureAwait(false);
        return true;
    }

    /// <summary>Finishes every forget a previous run began; returns how many.</summary>
    private async Task<int> FinishOpenForgetsAsync(CancellationToken cancellationToken)
    {
        int finished = 0;
        foreach (var key in CollectKeys(IntentScanPrefix(ForgetIntentPrefix)))
        {
            var id = new SnapshotId(key.AsSpan(key.Length - SnapshotId.Size));
            await FinishForgetAsync(id, key, cancellationToken).ConfigureAwait(false);
            finished++;
        }
        return finished;
    }

    /// <summary>
    /// The part of a forget after its intent: idempotent, so a retry or a recovery may run it again
    /// whatever the previous attempt got through.
    /// </summary>
    private async Task FinishForgetAsync(SnapshotId id, byte[] intent, CancellationToken cancellationToken)
    {
        await _store.DeleteAsync(StoreObjectKind.Snapshot, id.ToString(), cancellationToken).ConfigureAwait(false);
        using var batch = _index.CreateBatch();
        // The record as it was put: deleting it also needs its by-source key.
        if (_index.Snapshots.TryGet(Id, id, out var record))
            batch.DeleteSnapshot(record);
        batch.DeleteMeta(intent);
        _index.Write(batch);
    }
}
