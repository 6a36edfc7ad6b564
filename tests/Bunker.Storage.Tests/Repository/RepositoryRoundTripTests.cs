using Bunker.Chunking;
using Bunker.Index;
using Bunker.Storage.Crypto;
using Bunker.Storage.Packs;
using Bunker.Storage.Stores;

namespace Bunker.Storage.Tests.Repository;

public class RepositoryRoundTripTests
{
    [Fact]
    public async Task RandomAndTextDataRoundTripThroughEveryChunker()
    {
        await using var f = await RepositoryFixture.CreateAsync();
        var random = TestData.Random(3 << 20, 1);
        var text = TestData.Text(2 << 20, 2);
        var snapshot = await Backups.SnapshotAsync(f.Repository, "host-a", ("random", random), ("text", text));

        var fixedArchive = await Backups.ArchiveAsync(f.Repository, "disk", random, new FixedChunker(256 << 10));
        var disk = await f.Repository.CommitSnapshotAsync(new SnapshotDraft("vm", "host-a", "vm-1"), [fixedArchive]);

        Assert.Equal(random, await Backups.RestoreAsync(f.Repository, snapshot.Id, "random"));
        Assert.Equal(text, await Backups.RestoreAsync(f.Repository, snapshot.Id, "text"));
        Assert.Equal(random, await Backups.RestoreAsync(f.Repository, disk.Id, "disk"));
    }

    [Fact]
    public async Task HolesTakeNoChunkRestoreAsZerosAndPassCheck()
    {
        await using var f = await RepositoryFixture.CreateAsync();
        var data = TestData.Random(1 << 20, 7);
        var archive = f.Repository.CreateArchive("disk/sda");
        var digest = ChunkDigest.Compute(data);
        await f.Repository.PutAsync(digest, data);
        await archive.AddAsync(ChunkDigest.Hole, 3 << 20);
        await archive.AddAsync(digest, data.Length);
        await archive.AddAsync(ChunkDigest.Hole, 16 << 20);
        Assert.Equal(0, archive.MissingCount);
        var snapshot = await f.Repository.CommitSnapshotAsync(new SnapshotDraft("vm", "host-a", "vm-1"), [archive]);

        var restored = await Backups.RestoreAsync(f.Repository, snapshot.Id, "disk/sda");
        Assert.Equal((3 << 20) + data.Length + (16 << 20), restored.Length);
        Assert.True(restored.AsSpan(0, 3 << 20).IndexOfAnyExcept((byte)0) < 0);
        Assert.Equal(data, restored.AsSpan(3 << 20, data.Length).ToArray());
        Assert.True(restored.AsSpan((3 << 20) + data.Length).IndexOfAnyExcept((byte)0) < 0);
        var check = await f.Repository.CheckAsync(readData: true);
        Assert.Empty(check.MissingChunks);
        Assert.Equal(0, check.UnreferencedChunks);
    }

    [Fact]
    public async Task RealFilesRoundTripAndSurviveARestart()
    {
        await using var f = await RepositoryFixture.CreateAsync();
        var files = Directory.EnumerateFiles(AppContext.BaseDirectory, "*.dll").Take(6).ToList();
        Assert.NotEmpty(files);
        var archives = files.Select(p => (Path.GetFileName(p), File.ReadAllBytes(p))).ToArray();
        var snapshot = await Backups.SnapshotAsync(f.Repository, "host-b", archives);

        await f.ReopenAsync();
        foreach (var (name, data) in archives)
            Assert.Equal(data, await Backups.RestoreAsync(f.Repository, snapshot.Id, name));
        Assert.Single(f.Repository.ListSnapshots());
    }

    [Fact]
    public async Task CompressibleChunksAreStoredWithZstdAndRandomOnesRaw()
    {
        await using var f = await RepositoryFixture.CreateAsync();
        var text = TestData.Text(100_000, 3);
        var random = TestData.Random(100_000, 4);
        await f.Repository.PutAsync(ChunkDigest.Compute(text), text);
        await f.Repository.PutAsync(ChunkDigest.Compute(random), random);
        await f.Repository.FlushAsync();

        Assert.True(f.Repository.TryLocate(ChunkDigest.Compute(text), out var textAt));
        Assert.True(f.Repository.TryLocate(ChunkDigest.Compute(random), out var randomAt));
        Assert.Equal(ChunkCodec.Zstd, textAt.Codec);
        Assert.True(textAt.StoredLength < text.Length / 2);
        Assert.Equal(ChunkCodec.None, randomAt.Codec);
        Assert.Equal(text, await f.Repository.GetAsync(ChunkDigest.Compute(text)));
        Assert.Equal(random, await f.Repository.GetAsync(ChunkDigest.Compute(random)));
    }

    [Fact]
    public async Task ASecondBackupOfTheSameDataStoresNothingNew()
    {
        await using var f = await RepositoryFixture.CreateAsync();
        var data = TestData.Random(2 << 20, 5);
        await Backups.SnapshotAsync(f.Repository, "h", ("a", data));
        long packs = f.Index.Packs.Count(f.Repository.Id);
        long chunks = f.Index.Chunks.Count(f.Repository.Id);

        var second = await Backups.SnapshotAsync(f.Repository, "h", ("a", data));
        Assert.Equal(packs, f.Index.Packs.Count(f.Repository.Id));
        Assert.Equal(chunks, f.Index.Chunks.Count(f.Repository.Id));
        Assert.Equal(data, await Backups.RestoreAsync(f.Repository, second.Id, "a"));
    }

    [Fact]
    public async Task PassphraseKeysOpenTheRepositoryAndAWrongOneIsNamed()
    {
        var root = Directory.CreateTempSubdirectory("bunker-pass-").FullName;
        try
        {
            var store = LocalDiskStore.Open(Path.Combine(root, "store"));
            using (var index = BunkerIndex.Open(new IndexOptions { Path = Path.Combine(root, "index") }))
            {
                using var right = MasterKey.FromPassphrase("correct horse battery staple");
                await using (var repository = await Bunker.Storage.Repository.CreateAsync(store, index, right))
                {
                    await Backups.SnapshotAsync(repository, "h", ("a", TestData.Text(10_000, 9)));
                }
                using var wrong = MasterKey.FromPassphrase("incorrect horse");
                var error = await Assert.ThrowsAsync<WrongMasterKeyException>(() => Bunker.Storage.Repository.OpenAsync(store, index, wrong));
                var config = RepositoryConfig.FromJson(File.ReadAllBytes(Path.Combine(root, "store", "config")));
                Assert.Contains(config.Id.ToString(), error.Message);
                await using var reopened = await Bunker.Storage.Repository.OpenAsync(store, index, right);
                Assert.Single(reopened.ListSnapshots());
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task AStoreHoldsOneRepository()
    {
        await using var f = await RepositoryFixture.CreateAsync();
        using var key = MasterKey.FromKeyFile(f.KeyFile);
        await Assert.ThrowsAsync<RepositoryStateException>(() => Bunker.Storage.Repository.CreateAsync(f.Store, f.Index, key));
        var empty = LocalDiskStore.Open(Path.Combine(f.Root, "empty"));
        await Assert.ThrowsAsync<RepositoryStateException>(() => Bunker.Storage.Repository.OpenAsync(empty, f.Index, key));
    }

    [Fact]
    public async Task PacksAreSealedNearTheTargetSize()
    {
        await using var f = await RepositoryFixture.CreateAsync(new RepositoryOptions { PackTargetSize = 1 << 20, Writers = 1 });
        await Backups.SnapshotAsync(f.Repository, "h", ("a", TestData.Random(6 << 20, 6)));
        var sizes = f.Index.Packs.Scan(f.Repository.Id).Select(p => p.Size).OrderDescending().ToList();
        Assert.True(sizes.Count >= 5, $"expected several packs, got {sizes.Count}");
        // All but the last-sealed packs reach the target and overshoot it by at most one chunk.
        Assert.True(sizes.Count(s => s >= 1 << 20) >= sizes.Count - 2);
        Assert.All(sizes, s => Assert.True(s <= (1 << 20) + Backups.SmallChunks.MaxSize + 64 * 1024));
        await foreach (var info in f.Store.ListAsync(StoreObjectKind.Pack))
            Assert.Equal(info.Name, PackId.FromHash(ChunkDigest.Compute(await f.Store.ReadAllAsync(StoreObjectKind.Pack, info.Name))).ToString());
    }
}
