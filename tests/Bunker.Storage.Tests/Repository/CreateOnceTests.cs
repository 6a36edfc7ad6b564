using Bunker.Index;
using Bunker.Storage.Crypto;
using Bunker.Storage.Stores;

namespace Bunker.Storage.Tests.Repository;

/// <summary>
/// Create-once commits, as WAL pushes use them: one snapshot per source, an identical push answers
/// with it, a different one is refused, and that holds however many pushes race.
/// </summary>
public class CreateOnceTests
{
    private const string Kind = "postgres-wal";
    private const string Segment = "7301234567890123456/000000010000000000000001";

    [Fact]
    public async Task PushingTheSameContentTwiceReturnsTheFirstSnapshotAndStoresNoSecondManifest()
    {
        await using var f = await RepositoryFixture.CreateAsync();
        var data = TestData.Random(300_000, 501);

        var first = await PushAsync(f.Repository, "db1", Segment, data, time: At(1));
        var second = await PushAsync(f.Repository, "db1", Segment, data, time: At(2));

        Assert.Equal(first.Id, second.Id);
        Assert.Equal(first.Time, second.Time);
        await AssertSoleSnapshotAsync(f.Repository, f.Store, first.Id, data);
    }

    [Fact]
    public async Task DifferentContentUnderAnExistingNameIsAConflictAndKeepsTheFirst()
    {
        await using var f = await RepositoryFixture.CreateAsync();
        var data = TestData.Random(300_000, 502);
        var first = await PushAsync(f.Repository, "db1", Segment, data);

        var changedBytes = (byte[])data.Clone();
        changedBytes[123_456] ^= 1;
        var attempts = new Func<Task>[]
        {
            () => PushAsync(f.Repository, "db1", Segment, changedBytes),
            () => PushAsync(f.Repository, "db1", Segment, data, archiveName: "renamed"),
            () => PushAsync(f.Repository, "db1", Segment, data, extraArchive: TestData.Random(1000, 503)),
            () => PushAsync(f.Repository, "db1", Segment, data.AsSpan(0, data.Length - 1).ToArray()),
        };
        foreach (var attempt in attempts)
        {
            var e = await Assert.ThrowsAsync<SnapshotConflictException>(attempt);
            Assert.Contains(Segment, e.Message);
            Assert.Contains("different content", e.Message);
            Assert.Equal(first.Id, e.Existing);
        }

        await AssertSoleSnapshotAsync(f.Repository, f.Store, first.Id, data);
    }

    [Fact]
    public async Task EightConcurrentIdenticalPushesLeaveOneSnapshot()
    {
        await using var f = new RepositoryFixture();
        var (store, repository) = await OverLingeringStoreAsync(f);
        await using var _ = repository;
        var data = TestData.Random(400_000, 504);

        var outcomes = await RaceAsync(repository, Enumerable.Repeat(data, 8).ToArray());

        var only = Assert.Single(repository.ListSnapshots());
        foreach (var (record, error) in outcomes)
        {
            Assert.Null(error);
            Assert.Equal(only.Id, record!.Id);
        }
        Assert.Equal(1, store.ManifestPuts);
        await AssertSoleSnapshotAsync(repository, f.Store, only.Id, data);
    }

    [Fact]
    public async Task ConcurrentIdenticalAndDifferentPushesLeaveOneSnapshotAndOnlyTheOthersContentFails()
    {
        await using var f = new RepositoryFixture();
        var (store, repository) = await OverLingeringStoreAsync(f);
        await using var _ = repository;
        var same = TestData.Random(200_000, 505);
        var contents = new[] { same, TestData.Random(200_000, 506), same, TestData.Random(200_000, 507), same, TestData.Random(200_000, 508), same, same };

        var outcomes = await RaceAsync(repository, contents);

        // Whichever push got there first decides; every other push either matches it or fails.
        var only = Assert.Single(repository.ListSnapshots());
        var winner = await Backups.RestoreAsync(repository, only.Id, "wal");
        int succeeded = 0;
        for (int i = 0; i < contents.Length; i++)
        {
            var (record, error) = outcomes[i];
            if (contents[i].AsSpan().SequenceEqual(winner))
            {
                Assert.Null(error);
                Assert.Equal(only.Id, record!.Id);
                succeeded++;
            }
            else
            {
                Assert.IsType<SnapshotConflictException>(error);
            }
        }
        Assert.True(succeeded >= 1);
        Assert.Equal(1, store.ManifestPuts);
        Assert.Equal(1, await ManifestObjectsAsync(f.Store));
    }

    [Fact]
    public async Task AnotherHostOrSourceIdIsIndependent()
    {
        await using var f = await RepositoryFixture.CreateAsync();
        var one = await PushAsync(f.Repository, "db1", Segment, TestData.Random(100_000, 509));
        var otherHost = await PushAsync(f.Repository, "db2", Segment, TestData.Random(100_000, 510));
        var otherSegment = await PushAsync(f.Repository, "db1", "7301234567890123456/000000010000000000000002", TestData.Random(100_000, 511));

        Assert.Equal(3, new[] { one.Id, otherHost.Id, otherSegment.Id }.Distinct().Count());
        Assert.Equal(3, f.Repository.ListSnapshots().Count());
        Assert.Single(f.Repository.ListSnapshots("db1", Kind, Segment));
    }

    [Fact]
    public async Task AnOrdinaryCommitIsNotCheckedEvenUnderACreateOnceSource()
    {
        await using var f = await RepositoryFixture.CreateAsync();
        var data = TestData.Random(100_000, 512);
        var created = await PushAsync(f.Repository, "db1", Segment, data, time: At(1));

        var sameAgain = await PushAsync(f.Repository, "db1", Segment, data, createOnce: false, time: At(2));
        var different = await PushAsync(f.Repository, "db1", Segment, TestData.Random(100_000, 513), createOnce: false, time: At(3));

        Assert.Equal(3, new[] { created.Id, sameAgain.Id, different.Id }.Distinct().Count());
        Assert.Equal(3, f.Repository.ListSnapshots("db1", Kind, Segment).Count());
    }

    private static DateTimeOffset At(int second) => new(2025, 1, 1, 0, 0, second, TimeSpan.Zero);

    private static async Task<SnapshotRecord> PushAsync(Bunker.Storage.Repository repository, string host, string sourceId, byte[] data,
        bool createOnce = true, DateTimeOffset? time = null, string archiveName = "wal", byte[]? extraArchive = null)
    {
        var archives = new List<ArchiveWriter> { await Backups.ArchiveAsync(repository, archiveName, data) };
        if (extraArchive is not null)
            archives.Add(await Backups.ArchiveAsync(repository, "extra", extraArchive));
        return await repository.CommitSnapshotAsync(new SnapshotDraft(Kind, host, sourceId) { CreateOnce = createOnce, Time = time }, archives);
    }

    /// <summary>
    /// Prepares one archive per content, then commits them all at once under one name. Each draft has
    /// its own time, so pushes that were not serialised would make distinct manifests, not one by chance.
    /// </summary>
    private static async Task<(SnapshotRecord? Record, Exception? Error)[]> RaceAsync(Bunker.Storage.Repository repository, byte[][] contents)
    {
        var writers = new ArchiveWriter[contents.Length];
        for (int i = 0; i < contents.Length; i++)
            writers[i] = await Backups.ArchiveAsync(repository, "wal", contents[i]);
        // Released once every commit is queued, so that they reach the check together.
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var commits = writers.Select((writer, i) => Task.Run(async () =>
        {
            await start.Task;
            try
            {
                var draft = new SnapshotDraft(Kind, "db1", Segment) { CreateOnce = true, Time = At(i) };
                return ((SnapshotRecord?)await repository.CommitSnapshotAsync(draft, [writer]), (Exception?)null);
            }
            catch (Exception e)
            {
                return (null, e);
            }
        })).ToArray();
        start.SetResult();
        return await Task.WhenAll(commits);
    }

    private static async Task<(LingeringManifestStore Store, Bunker.Storage.Repository Repository)> OverLingeringStoreAsync(RepositoryFixture f)
    {
        f.OpenStoreAndIndex();
        var store = new LingeringManifestStore(f.Store);
        using var key = MasterKey.FromKeyFile(f.KeyFile);
        return (store, await Bunker.Storage.Repository.CreateAsync(store, f.Index, key, f.Options));
    }

    /// <summary>
    /// A real store whose manifest puts linger a little, so that pushes which were not serialised
    /// would all pass the check before the first one is listed, and leave more than one snapshot.
    /// </summary>
    private sealed class LingeringManifestStore(IPackStore inner) : DelegatingStore(inner)
    {
        private int _manifestPuts;

        public int ManifestPuts => Volatile.Read(ref _manifestPuts);

        public override async Task<string> PutAsync(StoreObjectKind kind, string name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
        {
            if (kind == StoreObjectKind.Snapshot)
            {
                Interlocked.Increment(ref _manifestPuts);
                await Task.Delay(50, cancellationToken);
            }
            return await base.PutAsync(kind, name, data, cancellationToken);
        }
    }

    /// <summary>The repository lists only this snapshot, its store holds only its manifest, and it restores to <paramref name="data"/>.</summary>
    private static async Task AssertSoleSnapshotAsync(Bunker.Storage.Repository repository, LocalDiskStore store, SnapshotId id, byte[] data)
    {
        Assert.Equal([id], repository.ListSnapshots().Select(s => s.Id));
        Assert.Equal(1, await ManifestObjectsAsync(store));
        Assert.Equal(data, await Backups.RestoreAsync(repository, id, "wal"));
    }

    private static async Task<int> ManifestObjectsAsync(LocalDiskStore store)
    {
        int count = 0;
        await foreach (var _ in store.ListAsync(StoreObjectKind.Snapshot))
            count++;
        return count;
    }
}
