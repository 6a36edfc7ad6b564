using System.Security.Cryptography;
using Bunker.Index;
using Bunker.Storage.Stores;
using Bunker.Storage.Stores.S3;
using Bunker.Tests.Shared;

namespace Bunker.Storage.Tests.Stores;

/// <summary>S3PackStore against a real s3rver: the store contract, multipart, paging, and damage named on read.</summary>
public sealed class S3PackStoreTests : IAsyncLifetime
{
    private S3Server _server = null!;
    private S3Bucket _bucket = null!;

    public async Task InitializeAsync()
    {
        _server = await S3Server.StartAsync(Path.Combine(Path.GetTempPath(), $"bunker-s3-{Guid.NewGuid():N}"));
        _bucket = new S3Bucket(Options());
    }

    public async Task DisposeAsync()
    {
        _bucket.Dispose();
        await _server.DisposeAsync();
    }

    private S3BucketOptions Options(string prefix = "site-a/") => new()
    {
        Name = "s3", Endpoint = _server.Endpoint, Bucket = _server.Bucket, Prefix = prefix,
        AccessKey = S3Server.AccessKey, SecretKey = S3Server.SecretKey,
        MultipartThreshold = 6 << 20, PartSize = 5 << 20,
        MaxAttempts = 3, BaseDelay = TimeSpan.FromMilliseconds(50), AttemptTimeout = TimeSpan.FromSeconds(10), TotalTimeout = TimeSpan.FromSeconds(20),
    };

    private static string Hex(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    [Fact]
    public async Task Objects_round_trip_whole_and_by_range_and_list_page_by_page()
    {
        var store = new S3PackStore(_bucket, RepositoryId.New());
        var small = RandomNumberGenerator.GetBytes(100_000);
        var big = RandomNumberGenerator.GetBytes((13 << 20) + 17); // three parts of a multipart upload
        Assert.Equal("s3", await store.PutAsync(StoreObjectKind.Pack, Hex(small), small));
        await store.PutAsync(StoreObjectKind.Pack, Hex(big), big);
        await store.PutAsync(StoreObjectKind.Config, ObjectNames.ConfigName, "{}"u8.ToArray());
        long multipartBefore = _bucket.Counts.MultipartRequests;
        Assert.True(multipartBefore >= 5, $"the 13 MiB object went up in parts ({multipartBefore} multipart requests)");

        Assert.Equal(small, await store.ReadAllAsync(StoreObjectKind.Pack, Hex(small)));
        Assert.Equal(big, await store.ReadAllAsync(StoreObjectKind.Pack, Hex(big)));
        var range = new byte[4096];
        await store.ReadRangeAsync(StoreObjectKind.Pack, Hex(big), 7 << 20, range);
        Assert.Equal(big.AsSpan(7 << 20, 4096).ToArray(), range);
        Assert.Equal(big.Length, await store.GetSizeAsync(StoreObjectKind.Pack, Hex(big)));
        Assert.Null(await store.GetSizeAsync(StoreObjectKind.Pack, Hex([1])));
        Assert.Equal("s3", await ((IPackStore)store).LocateAsync(StoreObjectKind.Pack, Hex(small)));

        // More than one page of a listing (1,000 keys a page).
        var names = new HashSet<string> { Hex(small), Hex(big) };
        for (int i = 0; i < 1_005; i++)
        {
            var data = BitConverter.GetBytes(i);
            names.Add(Hex(data));
            await store.PutAsync(StoreObjectKind.Snapshot, Hex(data), data);
        }
        var packs = new List<StoreObjectInfo>();
        await foreach (var info in store.ListAsync(StoreObjectKind.Pack)) packs.Add(info);
        Assert.Equal(new[] { Hex(big), Hex(small) }.Order(), packs.Select(p => p.Name).Order());
        Assert.All(packs, p => Assert.Equal("s3", p.Location));
        int snapshots = 0;
        await foreach (var _ in store.ListAsync(StoreObjectKind.Snapshot)) snapshots++;
        Assert.Equal(1_005, snapshots);
        var configs = new List<string>();
        await foreach (var info in store.ListAsync(StoreObjectKind.Config)) configs.Add(info.Name);
        Assert.Equal([ObjectNames.ConfigName], configs);

        await store.DeleteAsync(StoreObjectKind.Pack, Hex(small));
        await store.DeleteAsync(StoreObjectKind.Pack, Hex(small)); // absent: not an error
        await Assert.ThrowsAsync<StoreObjectNotFoundException>(() => store.ReadAllAsync(StoreObjectKind.Pack, Hex(small)));
    }

    [Fact]
    public async Task A_read_past_the_end_of_a_truncated_object_is_named()
    {
        var repository = RepositoryId.New();
        var store = new S3PackStore(_bucket, repository);
        var data = RandomNumberGenerator.GetBytes(64 << 10);
        string name = Hex(data);
        await store.PutAsync(StoreObjectKind.Pack, name, data);
        // Cut the object short behind the server's back, as a broken disk under the bucket would.
        string file = _server.ObjectFile($"site-a/repos/{repository}/packs/{name[..2]}/{name}");
        Assert.True(File.Exists(file), "s3rver keeps objects at " + file);
        File.WriteAllBytes(file, data.AsSpan(0, 1000).ToArray());

        var e = await Assert.ThrowsAsync<StoreObjectTruncatedException>(() => store.ReadRangeAsync(StoreObjectKind.Pack, name, 60 << 10, new byte[1024]));
        Assert.Contains(name, e.Message);
        Assert.Equal(1000, e.Size);
    }

    [Fact]
    public async Task Repositories_in_a_bucket_are_listed_by_id_and_prefixes_keep_sites_apart()
    {
        var one = RepositoryId.New();
        var two = RepositoryId.New();
        await new S3PackStore(_bucket, one).PutAsync(StoreObjectKind.Config, ObjectNames.ConfigName, "{}"u8.ToArray());
        await new S3PackStore(_bucket, two).PutAsync(StoreObjectKind.Config, ObjectNames.ConfigName, "{}"u8.ToArray());
        using var other = new S3Bucket(Options("site-b/"));
        await new S3PackStore(other, RepositoryId.New()).PutAsync(StoreObjectKind.Config, ObjectNames.ConfigName, "{}"u8.ToArray());

        var found = new List<RepositoryId>();
        await foreach (var id in S3PackStore.ListRepositoriesAsync(_bucket)) found.Add(id);
        Assert.Equal(new[] { one, two }.OrderBy(i => i.ToString()), found.OrderBy(i => i.ToString()));
    }

    [Fact]
    public async Task A_dead_endpoint_is_unavailable_within_the_budget_after_retries()
    {
        using var dead = new S3Bucket(Options() with { Endpoint = new Uri($"http://127.0.0.1:{DaemonProcess.FreePort()}"), TotalTimeout = TimeSpan.FromSeconds(10) });
        var store = new S3PackStore(dead, RepositoryId.New());
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.PutAsync(StoreObjectKind.Pack, Hex([1, 2]), new byte[] { 1, 2 }));
        Assert.Equal("s3", e.Store);
        Assert.Equal(2, dead.Counts.Retries);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"gave up after {clock.Elapsed}");
        await Assert.ThrowsAsync<StoreUnavailableException>(() => ((IPackStore)store).ProbeAsync());
    }
}
