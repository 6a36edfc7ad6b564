using Bunker.Chunking;
using Bunker.Index;
using Bunker.Storage.Crypto;
using Bunker.Storage.Stores;

namespace Bunker.Storage.Tests.Repository;

/// <summary>Deleting a snapshot removes its manifest and catalog record, crash-safely, and leaves its chunks for GC.</summary>
public class DeleteSnapshotTests
{
    // FaultPoints.Hook is process-wide and test classes run in parallel: the hook only acts in the
    // async flow of the test that armed it.
    private static readonly AsyncLocal<bool> CrashHere = new();

    [Fact]
    public async Task ADeletedSnapshotIsNeitherListedNorLoadableAndTheOthersAreUntouched()
    {
        await using var f = await RepositoryFixture.CreateAsync();
        var kept = await Backups.SnapshotAsync(f.Repository, "h1", ("a", TestData.Random(1 << 20, 31)));
        var deleted = await Backups.SnapshotAsync(f.Repository, "h2", ("a", TestData.Random(1 << 20, 32)));
        long chunks = f.Index.Chunks.Count(f.Repository.Id);

        Assert.True(await f.Repository.DeleteSnapshotAsync(deleted.Id));

        Assert.Equal([kept.Id], f.Repository.ListSnapshots().Select(s => s.Id));
        Assert.Empty(f.Repository.ListSnapshots("h2", "files", "/data"));
        await Assert.ThrowsAsync<SnapshotNotFoundException>(() => f.Repository.LoadManifestAsync(deleted.Id));
        Assert.Null(await f.Store.GetSizeAsync(StoreObjectKind.Snapshot, deleted.Id.ToString()));
        Assert.Equal(TestData.Random(1 << 20, 31), await Backups.RestoreAsync(f.Repository, kept.Id, "a"));

        // Chunks stay until a GC: they are unreferenced now, not gone.
        Assert.Equal(chunks, f.Index.Chunks.Count(f.Repository.Id));
        var check = await f.Repository.CheckAsync();
        Assert.True(check.IsHealthy);
        Assert.True(check.UnreferencedChunks > 0);

        await f.ReopenAsync();
        Assert.False(f.Repository.Recovery.FoundAnything);
        Assert.Equal([kept.Id], f.Repository.ListSnapshots().Select(s => s.Id));
    }

    [Fact]
    public async Task DeletingAnUnknownOrAlreadyDeletedSnapshotReturnsFalse()
    {
        await using var f = await RepositoryFixture.CreateAsync();
        var snapshot = await Backups.SnapshotAsync(f.Repository, "h", ("a", TestData.Random(100_000, 33)));

        Assert.False(await f.Repository.DeleteSnapshotAsync(SnapshotId.FromHash(ChunkDigest.Compute("no such snapshot"u8))));
        Assert.True(await f.Repository.DeleteSnapshotAsync(snapshot.Id));
        Assert.False(await f.Repository.DeleteSnapshotAsync(snapshot.Id));
    }

    [Fact]
    public async Task ASnapshotOnlyTheStoreStillHoldsIsDeletedToo()
    {
        await using var f = await RepositoryFixture.CreateAsync();
        var snapshot = await Backups.SnapshotAsync(f.Repository, "h", ("a", TestData.Random(100_000, 34)));
        using (var batch = f.Index.CreateBatch())
        {
            batch.DeleteSnapshot(snapshot);
            f.Index.Write(batch);
        }
        await f.Repository.LoadManifestAsync(snapshot.Id); // read back from the store

        Assert.True(await f.Repository.DeleteSnapshotAsync(snapshot.Id));
        await Assert.ThrowsAsync<SnapshotNotFoundException>(() => f.Repository.LoadManifestAsync(snapshot.Id));
    }

    [Fact]
    public async Task AForgetInterruptedAfterItsIntentIsFinishedByTheNextOpen()
    {
        await using var f = await RepositoryFixture.CreateAsync();
        var kept = await Backups.SnapshotAsync(f.Repository, "h1", ("a", TestData.Random(1 << 20, 35)));
        var deleted = await Backups.SnapshotAsync(f.Repository, "h2", ("a", TestData.Random(1 << 20, 36)));

        await Assert.ThrowsAsync<SimulatedCrash>(() => DeleteAndCrashAfterIntentAsync(f.Repository, deleted.Id));
        // The crash came before anything was removed.
        Assert.NotNull(await f.Store.GetSizeAsync(StoreObjectKind.Snapshot, deleted.Id.ToString()));
        Assert.Equal(2, f.Repository.ListSnapshots().Count());

        await f.ReopenAsync();
        var recovery = f.Repository.Recovery;
        Assert.True(recovery.FoundAnything);
        Assert.Equal(1, recovery.CompletedForgets);
        Assert.Equal(0, recovery.RecoveredSnapshots + recovery.AbandonedSnapshots);
        Assert.Equal([kept.Id], f.Repository.ListSnapshots().Select(s => s.Id));
        Assert.Null(await f.Store.GetSizeAsync(StoreObjectKind.Snapshot, deleted.Id.ToString()));
        await Assert.ThrowsAsync<SnapshotNotFoundException>(() => f.Repository.LoadManifestAsync(deleted.Id));
        Assert.Equal(TestData.Random(1 << 20, 35), await Backups.RestoreAsync(f.Repository, kept.Id, "a"));

        await f.ReopenAsync();
        Assert.False(f.Repository.Recovery.FoundAnything);
    }

    [Fact]
    public async Task ARebuiltIndexDoesNotBringADeletedSnapshotBack()
    {
        await using var f = await RepositoryFixture.CreateAsync();
        var kept = await Backups.SnapshotAsync(f.Repository, "h1", ("a", TestData.Random(1 << 20, 37)));
        var deleted = await Backups.SnapshotAsync(f.Repository, "h2", ("a", TestData.Random(1 << 20, 38)));
        Assert.True(await f.Repository.DeleteSnapshotAsync(deleted.Id));

        var report = await RebuildAndReopenAsync(f, dropIndex: true);
        Assert.Empty(report.Problems);
        Assert.Equal(1, report.Snapshots);
        Assert.Equal([kept.Id], f.Repository.ListSnapshots().Select(s => s.Id));
        await Assert.ThrowsAsync<SnapshotNotFoundException>(() => f.Repository.LoadManifestAsync(deleted.Id));
    }

    [Fact]
    public async Task ARebuildOverAnIndexWithAnOpenForgetFinishesItInsteadOfResurrectingTheSnapshot()
    {
        await using var f = await RepositoryFixture.CreateAsync();
        var kept = await Backups.SnapshotAsync(f.Repository, "h1", ("a", TestData.Random(200_000, 39)));
        var deleted = await Backups.SnapshotAsync(f.Repository, "h2", ("a", TestData.Random(200_000, 40)));
        await Assert.ThrowsAsync<SimulatedCrash>(() => DeleteAndCrashAfterIntentAsync(f.Repository, deleted.Id));

        // The index is kept, intent and all: the rebuild runs over it.
        var report = await RebuildAndReopenAsync(f, dropIndex: false);
        Assert.Empty(report.Problems);
        Assert.Equal(1, report.Snapshots);
        Assert.False(f.Repository.Recovery.FoundAnything);
        Assert.Equal([kept.Id], f.Repository.ListSnapshots().Select(s => s.Id));
        Assert.Null(await f.Store.GetSizeAsync(StoreObjectKind.Snapshot, deleted.Id.ToString()));
    }

    /// <summary>Closes the repository, rebuilds its index from the store (over a fresh index, or over the old one), and reopens it.</summary>
    private static async Task<RebuildReport> RebuildAndReopenAsync(RepositoryFixture f, bool dropIndex)
    {
        await f.CloseAsync();
        if (dropIndex)
            Directory.Delete(f.IndexPath, recursive: true);
        f.OpenStoreAndIndex();
        RebuildReport report;
        using (var key = MasterKey.FromKeyFile(f.KeyFile))
            report = await Bunker.Storage.Repository.RebuildIndexAsync(f.Store, f.Index, key);
        await f.ReopenAsync();
        return report;
    }

    /// <summary>Stops a delete right after its intent is durable, as a crash there would.</summary>
    private static async Task DeleteAndCrashAfterIntentAsync(Bunker.Storage.Repository repository, SnapshotId id)
    {
        FaultPoints.Hook = static point =>
        {
            if (point == FaultPoints.SnapshotForgetIntent && CrashHere.Value)
                throw new SimulatedCrash();
        };
        CrashHere.Value = true;
        try
        {
            await repository.DeleteSnapshotAsync(id);
        }
        finally
        {
            CrashHere.Value = false;
            FaultPoints.Hook = null;
        }
    }

    private sealed class SimulatedCrash : Exception;
}
