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

    [Fact]
    public async Task A_stored_chunk_is_always_present_to_Has_while_its_pack_moves_from_open_to_indexed()
    {
        // Tiny packs seal constantly, so chunks keep moving from the open-pack set to the index
        // while a checker asks about chunks whose puts have returned. Has must never call one missing.
        await using var f = await RepositoryFixture.CreateAsync(new RepositoryOptions { PackTargetSize = 1 << 16, Writers = 2 });
        // The checker asks about the most recent puts: those are the chunks in transit.
        var recent = new ChunkDigest[64];
        int stored = 0;
        using var done = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 2).Select(w => Task.Run(async () =>
        {
            for (int i = 0; i < 3000; i++)
            {
                var data = TestData.Random(2048, (ulong)(10_000 * (w + 1) + i));
                var digest = ChunkDigest.Compute(data);
                await f.Repository.PutAsync(digest, data);
                lock (recent)
                    recent[stored++ % recent.Length] = digest;
            }
        })).ToArray();
        var checker = Task.Run(() =>
        {
            var present = new bool[recent.Length];
            var batch = new ChunkDigest[recent.Length];
            int checks = 0;
            while (!done.IsCancellationRequested || checks == 0)
            {
                int n;
                lock (recent)
                {
                    n = Math.Min(stored, recent.Length);
                    recent.AsSpan(0, n).CopyTo(batch);
                }
                Assert.Equal(n, f.Repository.Has(batch.AsSpan(0, n), present));
                checks++;
            }
            return checks;
        });
        await Task.WhenAll(writers);
        done.Cancel();
        Assert.True(await checker > 0);
    }
}
