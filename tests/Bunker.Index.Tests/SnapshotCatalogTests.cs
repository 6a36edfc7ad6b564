using Bunker.Chunking;

namespace Bunker.Index.Tests;

public sealed class SnapshotCatalogTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private readonly TestIndex _t = new();
    private readonly RepositoryId _repo = RepositoryId.New();
    private int _next;

    public void Dispose() => _t.Dispose();

    private SnapshotRecord Snapshot(string host, string kind, string source, DateTimeOffset time, RepositoryId? repo = null)
    {
        var manifest = System.Text.Encoding.UTF8.GetBytes($"manifest {_next++} {host} {source}");
        return new SnapshotRecord(SnapshotId.FromHash(ChunkDigest.Compute(manifest)), repo ?? _repo, host, kind, source, time, manifest);
    }

    private void Put(params SnapshotRecord[] snapshots) => _t.Write(b =>
    {
        foreach (var s in snapshots)
            b.PutSnapshot(s);
    });

    private static void AssertSame(IEnumerable<SnapshotRecord> expected, IEnumerable<SnapshotRecord> actual)
        => Assert.Equal(expected.Select(s => s.Id), actual.Select(s => s.Id));

    [Fact]
    public void RoundTripsEveryField()
    {
        var s = Snapshot("host-ü", "postgres", "cluster/main", T0.AddTicks(123).ToOffset(TimeSpan.FromHours(-5)));
        Put(s);

        Assert.True(_t.Index.Snapshots.TryGet(_repo, s.Id, out var read));
        Assert.Equal((s.Id, s.Repository, s.Host, s.SourceKind, s.SourceId, s.Time), (read.Id, read.Repository, read.Host, read.SourceKind, read.SourceId, read.Time));
        Assert.Equal(s.Manifest, read.Manifest);
        Assert.False(_t.Index.Snapshots.TryGet(RepositoryId.New(), s.Id, out _));
    }

    [Fact]
    public void ListsOrderByTimeThenIdAcrossSources()
    {
        var late = Snapshot("a", "files", "/etc", T0.AddHours(3));
        var early = Snapshot("b", "files", "/home", T0.AddHours(-1));
        var middle = Snapshot("a", "vm", "disk0", T0.AddHours(1));
        var beforeEpoch = Snapshot("a", "files", "/etc", new DateTimeOffset(1960, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var tieA = Snapshot("c", "files", "/x", T0);
        var tieB = Snapshot("c", "files", "/y", T0);
        Put(late, early, middle, beforeEpoch, tieA, tieB);

        var ties = new[] { tieA, tieB }.OrderBy(s => s.Id).ToArray();
        AssertSame([beforeEpoch, early, ties[0], ties[1], middle, late], _t.Index.Snapshots.List(_repo));
        AssertSame([beforeEpoch, middle, late], _t.Index.Snapshots.ListByHost(_repo, "a"));
        AssertSame([beforeEpoch, late], _t.Index.Snapshots.ListBySource(_repo, "a", "files", "/etc"));
        Assert.Equal(6, _t.Index.Snapshots.Count(_repo));
    }

    [Fact]
    public void HostAndRepositoryPrefixesDoNotLeak()
    {
        var (a, b) = Data.NeighbourRepositories();
        var inA = Snapshot("a", "files", "/", T0, a);
        var inAb = Snapshot("ab", "files", "/", T0, a);
        var inB = Snapshot("a", "files", "/", T0, b);
        var sourcePrefix = Snapshot("a", "files", "/etc", T0, a);
        var sourceLonger = Snapshot("a", "files", "/etc2", T0, a);
        Put(inA, inAb, inB, sourcePrefix, sourceLonger);

        AssertSame([inA, sourcePrefix, sourceLonger], _t.Index.Snapshots.ListByHost(a, "a").OrderBy(s => s.SourceId));
        AssertSame([inAb], _t.Index.Snapshots.ListByHost(a, "ab"));
        AssertSame([inB], _t.Index.Snapshots.List(b));
        Assert.Equal(4, _t.Index.Snapshots.List(a).Count());
        AssertSame([sourcePrefix], _t.Index.Snapshots.ListBySource(a, "a", "files", "/etc"));
        Assert.Empty(_t.Index.Snapshots.ListByHost(a, ""));
    }

    [Fact]
    public void ListByKindTakesOneKindOfOneHostInTimeOrder()
    {
        var walLate = Snapshot("a", "postgres-wal", "7/000000010000000000000002", T0.AddMinutes(2));
        var walEarly = Snapshot("a", "postgres-wal", "7/000000010000000000000001", T0.AddMinutes(1));
        var walOtherHost = Snapshot("b", "postgres-wal", "7/000000010000000000000001", T0);
        var longerKind = Snapshot("a", "postgres-walx", "7/x", T0);
        var base_ = Snapshot("a", "postgres", "7", T0);
        Put(walLate, walEarly, walOtherHost, longerKind, base_);

        AssertSame([walEarly, walLate], _t.Index.Snapshots.ListByKind(_repo, "a", "postgres-wal"));
        AssertSame([base_], _t.Index.Snapshots.ListByKind(_repo, "a", "postgres"));
        Assert.Empty(_t.Index.Snapshots.ListByKind(_repo, "a", "postgres-"));
    }

    [Fact]
    public void DeleteRemovesBothKeys()
    {
        var keep = Snapshot("h", "files", "/", T0);
        var drop = Snapshot("h", "files", "/", T0.AddDays(1));
        Put(keep, drop);

        _t.Write(b => b.DeleteSnapshot(drop));

        Assert.False(_t.Index.Snapshots.TryGet(_repo, drop.Id, out _));
        AssertSame([keep], _t.Index.Snapshots.List(_repo));
        AssertSame([keep], _t.Index.Snapshots.ListBySource(_repo, "h", "files", "/"));
        Assert.Equal(1, _t.Index.Snapshots.Count(_repo));
    }

    [Fact]
    public void TimeOutsideTheNanosecondRangeIsRejectedBeforeAnythingIsBatched()
    {
        using var batch = _t.Index.CreateBatch();
        Assert.Throws<ArgumentOutOfRangeException>(() => batch.PutSnapshot(Snapshot("h", "files", "/", DateTimeOffset.MaxValue)));
        Assert.Equal(0, batch.Count);
    }

    [Fact]
    public void CorruptRecordThrowsIndexCorruptException()
    {
        var s = Snapshot("h", "files", "/", T0);
        Put(s);
        var key = new byte[48];
        _repo.CopyTo(key);
        s.Id.CopyTo(key.AsSpan(16));
        using (var batch = new RocksDb.WriteBatch())
        {
            batch.Put(_t.Index.Database.GetColumnFamily(SnapshotCatalog.FamilyName), key, [1, 200, 1]);
            _t.Index.Database.Write(batch, sync: false);
        }
        var ex = Assert.Throws<IndexCorruptException>(() => _t.Index.Snapshots.List(_repo).ToList());
        Assert.Contains(s.Id.ToString(), ex.Message);
    }
}
