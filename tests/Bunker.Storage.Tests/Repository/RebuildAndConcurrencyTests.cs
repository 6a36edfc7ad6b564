using Bunker.Chunking;
using Bunker.Index;
using Bunker.Storage.Crypto;
using Bunker.Storage.Packs;
using Bunker.Storage.Stores;

namespace Bunker.Storage.Tests.Repository;

public class RebuildAndConcurrencyTests
{
    [Fact]
    public async Task DeletingTheIndexAndRebuildingFromTheStoreGivesTheSameIndex()
    {
        await using var f = await RepositoryFixture.CreateAsync();
        var one = await Backups.SnapshotAsync(f.Repository, "h1", ("a", TestData.Random(2 << 20, 21)), ("b", TestData.Text(1 << 20, 22)));
        await Backups.SnapshotAsync(f.Repository, "h2", ("a", TestData.Random(1 << 20, 23)));
        var id = f.Repository.Id;
        var before = Dump(f.Index, id);
        Assert.NotEmpty(before.Chunks);

        await f.CloseAsync();
        Directory.Delete(f.IndexPath, recursive: true);
        f.OpenStoreAndIndex();
        Assert.Equal(0, f.Index.Chunks.Count(id));
        using (var key = MasterKey.FromKeyFile(f.KeyFile))
        {
            var report = await Bunker.Storage.Repository.RebuildIndexAsync(f.Store, f.Index, key);
            Assert.Empty(report.Problems);
            Assert.Equal(2, report.Snapshots);
        }
        var after = Dump(f.Index, id);
        Assert.Equal(before.Chunks, after.Chunks);
        Assert.Equal(before.Packs, after.Packs);
        Assert.Equal(before.Snapshots, after.Snapshots);

        await f.ReopenAsync();
        Assert.Equal(TestData.Random(2 << 20, 21), await Backups.RestoreAsync(f.Repository, one.Id, "a"));
        Assert.True((await f.Repository.CheckAsync(readData: true)).IsHealthy);
    }

    [Fact]
    public async Task ConcurrentWritersPuttingOverlappingChunksStoreEachOnce()
    {
        await using var f = await RepositoryFixture.CreateAsync(new RepositoryOptions { PackTargetSize = 256 << 10, Writers = 3 });
        var pool = Enumerable.Range(0, 300).Select(i => TestData.Random(8192 + i * 97, (ulong)i + 100)).ToArray();
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var order = new Random(w);
            int stored = 0;
            for (int n = 0; n < 400; n++)
            {
                var data = pool[order.Next(pool.Length)];
                if (await f.Repository.PutAsync(ChunkDigest.Compute(data), data))
                    stored++;
            }
            return stored;
        })).ToArray();
        int storedTotal = (await Task.WhenAll(writers)).Sum();
        await f.Repository.FlushAsync();

        int distinctPut = (int)f.Index.Chunks.Count(f.Repository.Id);
        Assert.Equal(storedTotal, distinctPut);
        Assert.True(distinctPut > 250, "most of the pool should have been drawn");

        // Each chunk appears in exactly one pack's own table.
        var seen = new HashSet<ChunkDigest>();
        await foreach (var info in f.Store.ListAsync(StoreObjectKind.Pack))
        {
            var table = await PackReader.ReadTableAsync(f.Store, PackId.Parse(info.Name), f.Repository.Cipher);
            foreach (var entry in table.Entries)
                Assert.True(seen.Add(entry.Digest), $"chunk {entry.Digest} stored twice");
        }
        Assert.Equal(distinctPut, seen.Count);
        foreach (var data in pool.Where(d => seen.Contains(ChunkDigest.Compute(d))).Take(20))
            Assert.Equal(data, await f.Repository.GetAsync(ChunkDigest.Compute(data)));
    }

    private static (List<string> Chunks, List<string> Packs, List<string> Snapshots) Dump(BunkerIndex index, RepositoryId id) => (
        index.Chunks.Scan(id).Select(p => $"{p.Key} {p.Value}").Order().ToList(),
        index.Packs.Scan(id).Select(p => $"{p.Id} {p.Location} {p.Size} {p.LiveBytes} {p.ChunkCount} {p.Created.ToUnixTimeMilliseconds()}").Order().ToList(),
        index.Snapshots.List(id).Select(s => $"{s.Id} {s.Host} {s.SourceKind} {s.SourceId} {s.Time.UtcTicks} {Convert.ToHexString(s.Manifest)}").Order().ToList());
}
