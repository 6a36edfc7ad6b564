using System.Security.Cryptography;
using Bunker.Index;
using Bunker.Storage.Crypto;
using Bunker.Storage.Packs;
using Bunker.Storage.Stores;
using Bunker.Storage.Stores.Composite;
using Bunker.Storage.Stores.S3;
using Bunker.Storage.Tests.Repository;
using Bunker.Tests.Shared;

namespace Bunker.Storage.Tests.Stores;

/// <summary>
/// Repositories on fallback and tiered stores over real s3rvers: a primary that dies mid-backup, writes that go on to
/// the fallback, reads from wherever the pack table says, reconciliation back to the primary once it is healthy; hot
/// packs moved cold and read through the cache; a fault-injecting proxy that retries absorb; damage named on read.
/// </summary>
public sealed class CompositeStoreTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("bunker-composite-").FullName;
    private S3Server _primary = null!;
    private S3Server _secondary = null!;
    private MasterKey _key = null!;
    private BunkerIndex _index = null!;

    public async Task InitializeAsync()
    {
        _primary = await S3Server.StartAsync(Path.Combine(_root, "s3-primary"));
        _secondary = await S3Server.StartAsync(Path.Combine(_root, "s3-secondary"));
        string keyFile = Path.Combine(_root, "master.key");
        MasterKey.GenerateKeyFile(keyFile);
        _key = MasterKey.FromKeyFile(keyFile);
        _index = BunkerIndex.Open(new IndexOptions { Path = Path.Combine(_root, "index"), BlockCacheBytes = 8 << 20 });
    }

    public async Task DisposeAsync()
    {
        _index.Dispose();
        _key.Dispose();
        await _primary.DisposeAsync();
        await _secondary.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    private static S3Bucket Bucket(string name, Uri endpoint, string bucket, TimeSpan? total = null) => new(new S3BucketOptions
    {
        Name = name, Endpoint = endpoint, Bucket = bucket, Prefix = "site/", AccessKey = S3Server.AccessKey, SecretKey = S3Server.SecretKey,
        MaxAttempts = 4, BaseDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromMilliseconds(500),
        AttemptTimeout = TimeSpan.FromSeconds(1.5), TotalTimeout = total ?? TimeSpan.FromSeconds(4),
    });

    private static RepositoryOptions Small => new() { PackTargetSize = 256 << 10, Writers = 2 };

    private static async Task<(SnapshotRecord Snapshot, byte[] Data)> BackupAsync(Bunker.Storage.Repository repository, int size, ulong seed)
    {
        var data = TestData.Random(size, seed);
        return (await Backups.SnapshotAsync(repository, "host", ("data", data)), data);
    }

    private static int PacksAt(Bunker.Storage.Repository repository, string location) =>
        repository.Index.Packs.Scan(repository.Id).Count(p => p.Location == location);

    [Fact]
    public async Task A_primary_that_dies_mid_backup_hands_writes_to_the_fallback_and_gets_them_back_when_it_recovers()
    {
        using var a = Bucket("s3a", _primary.Endpoint, _primary.Bucket);
        using var b = Bucket("s3b", _secondary.Endpoint, _secondary.Bucket);
        var id = RepositoryId.New();
        var policy = new StoreHealthPolicy { FailedProbesToDegrade = 1, GoodProbesToRecover = 2, RecoverAfter = TimeSpan.FromSeconds(1) };
        var healthA = new StoreHealth("s3a", policy);
        var healthB = new StoreHealth("s3b", policy);
        var store = new FallbackStore("safe", [new FallbackMember(new S3PackStore(a, id), healthA), new FallbackMember(new S3PackStore(b, id), healthB)]);
        await using var repository = await Bunker.Storage.Repository.CreateAsync(store, _index, _key, Small, default, id);

        var before = await BackupAsync(repository, 2 << 20, seed: 1);
        Assert.Equal(0, PacksAt(repository, "s3b"));

        // The primary dies during a backup: the chunks already sealed stay on it, the rest go to s3b.
        var archive = repository.CreateArchive("data");
        var during = TestData.Random(3 << 20, 2);
        await archive.AppendStreamAsync(new MemoryStream(during, 0, 1 << 20), new Bunker.Chunking.FastCdcChunker(Backups.SmallChunks));
        await repository.FlushAsync();
        await _primary.KillAsync();
        await archive.AppendStreamAsync(new MemoryStream(during, 1 << 20, 2 << 20), new Bunker.Chunking.FastCdcChunker(Backups.SmallChunks));
        var degraded = await repository.CommitSnapshotAsync(new SnapshotDraft("files", "host", "/data"), [archive]);
        Assert.False(healthA.IsHealthy);
        Assert.True(store.Degraded);
        Assert.True(PacksAt(repository, "s3b") > 0, "packs written while the primary was down are on the fallback");
        // Reads go where the pack table says: a snapshot taken during the outage reads from s3b alone; one whose
        // packs are on the dead primary cannot be read until it is back.
        var outage = await BackupAsync(repository, 1 << 20, seed: 6);
        Assert.Equal(outage.Data, await Backups.RestoreAsync(repository, outage.Snapshot.Id, "data"));
        await Assert.ThrowsAnyAsync<IOException>(() => Backups.RestoreAsync(repository, before.Snapshot.Id, "data"));

        // Nothing moves while the primary is down.
        Assert.False((await store.ReconcileAsync(repository)).PrimaryHealthy);

        await _primary.StartAgainAsync();
        await store.ProbeAsync();
        Assert.False(healthA.IsHealthy); // one good probe is not enough
        await Task.Delay(policy.RecoverAfter);
        await store.ProbeAsync();
        Assert.True(healthA.IsHealthy);
        var report = await store.ReconcileAsync(repository);
        Assert.Empty(report.Problems);
        Assert.True(report.Moved > 0);
        Assert.Equal(0, PacksAt(repository, "s3b"));
        int left = 0;
        await foreach (var _ in new S3PackStore(b, id).ListAsync(StoreObjectKind.Pack)) left++;
        await foreach (var _ in new S3PackStore(b, id).ListAsync(StoreObjectKind.Snapshot)) left++;
        Assert.Equal(0, left);

        // Every snapshot restores bit for bit, and check finds every pack and chunk in place.
        Assert.Equal(before.Data, await Backups.RestoreAsync(repository, before.Snapshot.Id, "data"));
        Assert.Equal(during, await Backups.RestoreAsync(repository, degraded.Id, "data"));
        Assert.Equal(outage.Data, await Backups.RestoreAsync(repository, outage.Snapshot.Id, "data"));
        var check = await repository.CheckAsync(readData: true);
        Assert.Empty(check.MissingPacks);
        Assert.Empty(check.Damaged);
        Assert.Empty(check.MissingChunks);
    }

    [Fact]
    public async Task Hot_packs_move_cold_by_policy_and_read_back_through_the_cache()
    {
        using var cold = Bucket("s3", _primary.Endpoint, _primary.Bucket);
        var id = RepositoryId.New();
        var hot = LocalDiskStore.Open(Path.Combine(_root, "hot", id.ToString()), "local");
        var cache = new PackReadCache(Path.Combine(_root, "cache"), 64 << 20);
        var store = new TieredStore("tier", hot, new S3PackStore(cold, id), new TierPolicy { HotMaxBytes = 0 }, cache);
        await using var repository = await Bunker.Storage.Repository.CreateAsync(store, _index, _key, Small, default, id);
        await repository.WriteOwnerAsync(new RepositoryOwner("acme", "main"));
        var (snapshot, data) = await BackupAsync(repository, 3 << 20, seed: 3);
        int packs = PacksAt(repository, "local");
        Assert.True(packs > 1);
        Assert.Equal(0, PacksAt(repository, "s3"));
        // Metadata is written to both tiers at once: the cold one alone must be enough to recover from.
        Assert.NotNull(await new S3PackStore(cold, id).GetSizeAsync(StoreObjectKind.Config, ObjectNames.OwnerName));
        Assert.NotNull(await new S3PackStore(cold, id).GetSizeAsync(StoreObjectKind.Snapshot, snapshot.Id.ToString()));

        var report = await store.MoveAsync(repository);
        Assert.Empty(report.Problems);
        Assert.Equal(packs, report.Moved);
        Assert.Equal(0, report.HotBytes);
        Assert.Equal(packs, PacksAt(repository, "s3"));
        int stillHot = 0;
        await foreach (var _ in hot.ListAsync(StoreObjectKind.Pack)) stillHot++;
        Assert.Equal(0, stillHot);

        long gets = cold.Counts.Gets;
        Assert.Equal(data, await Backups.RestoreAsync(repository, snapshot.Id, "data"));
        Assert.True(cache.Misses > 0);
        Assert.True(cold.Counts.Gets - gets <= packs + 2, $"{cold.Counts.Gets - gets} GETs for {packs} packs: the cache takes a pack whole, once");
        long again = cold.Counts.Gets;
        Assert.Equal(data, await Backups.RestoreAsync(repository, snapshot.Id, "data"));
        Assert.True(cache.Hits > 0);
        Assert.Equal(again, cold.Counts.Gets); // every pack came from the cache (the manifest from the catalog)
    }

    [Fact]
    public async Task Throttling_resets_and_stalls_in_front_of_s3_cost_retries_not_failures()
    {
        await using var proxy = await FaultProxy.StartAsync(_primary.Endpoint);
        proxy.SlowBy = TimeSpan.FromSeconds(3); // past the 1.5 s attempt timeout
        using var bucket = Bucket("s3", proxy.Endpoint, _primary.Bucket, total: TimeSpan.FromSeconds(30));
        var id = RepositoryId.New();
        await using var repository = await Bunker.Storage.Repository.CreateAsync(new S3PackStore(bucket, id), _index, _key, Small, default, id);
        var (snapshot, data) = await BackupAsync(repository, 3 << 20, seed: 4);
        Assert.Equal(data, await Backups.RestoreAsync(repository, snapshot.Id, "data"));
        Assert.True(proxy.Faults >= 3, $"the proxy broke {proxy.Faults} of {proxy.Requests} requests");
        // Some resets are retried by HttpClient itself on a fresh connection; the rest are our retries.
        Assert.True(bucket.Counts.Retries > 0, $"{bucket.Counts.Retries} retries for {proxy.Faults} faults");
    }

    [Fact]
    public async Task A_damaged_or_truncated_pack_in_the_bucket_is_named_on_read()
    {
        using var bucket = Bucket("s3", _primary.Endpoint, _primary.Bucket);
        var id = RepositoryId.New();
        await using var repository = await Bunker.Storage.Repository.CreateAsync(new S3PackStore(bucket, id), _index, _key, Small, default, id);
        var (snapshot, _) = await BackupAsync(repository, 1 << 20, seed: 5);
        var packs = repository.Index.Packs.Scan(id).Select(p => p.Id.ToString()).Order().ToList();
        Assert.True(packs.Count >= 2);

        string Object(string pack) => _primary.ObjectFile($"site/repos/{id}/packs/{pack[..2]}/{pack}");
        var flipped = File.ReadAllBytes(Object(packs[0]));
        flipped[PackFormat.HeaderSize + 40] ^= 0x01;
        File.WriteAllBytes(Object(packs[0]), flipped);
        var truncated = File.ReadAllBytes(Object(packs[1]));
        File.WriteAllBytes(Object(packs[1]), truncated.AsSpan(0, truncated.Length / 2).ToArray());

        var error = await Assert.ThrowsAnyAsync<PackException>(() => Backups.RestoreAsync(repository, snapshot.Id, "data"));
        Assert.True(error.Message.Contains(packs[0]) || error.Message.Contains(packs[1]), error.Message);
        var check = await repository.CheckAsync(readData: true);
        Assert.Contains(check.Damaged.Concat(check.MissingPacks), p => p.Contains(packs[0]));
        Assert.Contains(check.Damaged.Concat(check.MissingPacks), p => p.Contains(packs[1]));
    }
}
