using Bunker.Chunking;
using Bunker.Storage.Crypto;
using Bunker.Storage.Stores;

namespace Bunker.Storage.Tests.Repository;

/// <summary>
/// Invariant 2 when a pack write fails: an archive counts chunks still in open packs as present, so a
/// pack lost after that check must make the commit refuse, even though the epoch moved before the commit began.
/// </summary>
public sealed class LostPackTests
{
    [Fact]
    public async Task A_pack_lost_after_its_chunks_were_checked_refuses_the_commit_and_a_retry_succeeds()
    {
        await using var f = new RepositoryFixture(new RepositoryOptions { PackTargetSize = 1 << 20, Writers = 1 });
        f.OpenStoreAndIndex();
        var store = new SwitchableStore(f.Store);
        using var key = MasterKey.FromKeyFile(f.KeyFile);
        await using var repo = await Bunker.Storage.Repository.CreateAsync(store, f.Index, key, f.Options);
        var chunks = RandomChunks(4096);

        // 4096 entries fill exactly one check batch: all are checked while their pack is still open, none at commit.
        var archive = repo.CreateArchive("a");
        foreach (var data in chunks)
        {
            var digest = ChunkDigest.Compute(data);
            await repo.PutAsync(digest, data);
            await archive.AddAsync(digest, data.Length);
        }
        store.FailPacks = true;
        await Assert.ThrowsAsync<IOException>(() => repo.FlushAsync());
        store.FailPacks = false;

        var e = await Assert.ThrowsAsync<SnapshotRefusedException>(() => repo.CommitSnapshotAsync(new SnapshotDraft("files", "h", "s"), [archive]));
        Assert.Contains("pack write failed", e.Message);
        Assert.Empty(repo.ListSnapshots());

        // The retry re-sends what was lost and commits a snapshot that checks clean.
        var retry = repo.CreateArchive("a");
        foreach (var data in chunks)
        {
            var digest = ChunkDigest.Compute(data);
            await repo.PutAsync(digest, data);
            await retry.AddAsync(digest, data.Length);
        }
        await repo.CommitSnapshotAsync(new SnapshotDraft("files", "h", "s"), [retry]);
        var report = await repo.CheckAsync();
        Assert.Empty(report.MissingChunks);
        Assert.Single(repo.ListSnapshots());
    }

    private static List<byte[]> RandomChunks(int count)
    {
        var rng = new Random(1);
        var chunks = new List<byte[]>(count);
        for (int i = 0; i < count; i++)
        {
            var data = new byte[64];
            rng.NextBytes(data);
            chunks.Add(data);
        }
        return chunks;
    }

    private sealed class SwitchableStore(IPackStore inner) : DelegatingStore(inner)
    {
        public volatile bool FailPacks;
        public override Task<string> PutAsync(StoreObjectKind kind, string name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
            => FailPacks && kind == StoreObjectKind.Pack ? throw new IOException("disk full") : base.PutAsync(kind, name, data, cancellationToken);
    }
}
