namespace Bunker.Index.Tests;

public sealed class PackTableTests : IDisposable
{
    private readonly TestIndex _t = new();

    public void Dispose() => _t.Dispose();

    private static PackRecord Pack(int i, string location = "local")
        => new(Data.Pack(i), location, 40L << 20 | (long)i, 30L << 20, 1000 + i, new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.FromHours(2)).AddTicks(i));

    [Fact]
    public void RoundTripsScansAndDeletes()
    {
        var (a, b) = Data.NeighbourRepositories();
        var packs = Enumerable.Range(0, 20).Select(i => Pack(i, i % 2 == 0 ? "s3" : "fallback-é")).ToList();
        _t.Write(batch =>
        {
            foreach (var p in packs)
                batch.PutPack(a, p);
            batch.PutPack(b, Pack(99));
        });

        Assert.True(_t.Index.Packs.TryGet(a, packs[3].Id, out var read));
        Assert.Equal(packs[3], read);
        Assert.False(_t.Index.Packs.TryGet(b, packs[3].Id, out _));
        Assert.Equal(packs.OrderBy(p => p.Id), _t.Index.Packs.Scan(a));
        Assert.Equal(20, _t.Index.Packs.Count(a));
        Assert.Equal([Pack(99)], _t.Index.Packs.Scan(b));

        _t.Write(batch => batch.DeletePack(a, packs[3].Id));
        Assert.False(_t.Index.Packs.TryGet(a, packs[3].Id, out _));
        Assert.Equal(19, _t.Index.Packs.Count(a));
    }

    [Fact]
    public void RejectsNegativeSizes()
    {
        using var batch = _t.Index.CreateBatch();
        Assert.Throws<ArgumentOutOfRangeException>(() => batch.PutPack(RepositoryId.New(), Pack(1) with { Size = -1 }));
        Assert.Equal(0, batch.Count);
    }

    [Fact]
    public void CorruptValueThrowsIndexCorruptException()
    {
        var repo = RepositoryId.New();
        var id = Data.Pack(1);
        var key = new byte[48];
        repo.CopyTo(key);
        id.CopyTo(key.AsSpan(16));
        using (var batch = new RocksDb.WriteBatch())
        {
            batch.Put(_t.Index.Database.GetColumnFamily(PackTable.FamilyName), key, [1, 0x80]);
            _t.Index.Database.Write(batch, sync: false);
        }
        var ex = Assert.Throws<IndexCorruptException>(() => _t.Index.Packs.TryGet(repo, id, out _));
        Assert.Contains(id.ToString(), ex.Message);
    }
}
