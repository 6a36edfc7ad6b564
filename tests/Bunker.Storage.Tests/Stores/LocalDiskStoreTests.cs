using Bunker.Storage.Stores;

namespace Bunker.Storage.Tests.Stores;

public sealed class LocalDiskStoreTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("bunker-store-").FullName;
    private static readonly string Name = new string('a', 63) + "b";

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task PutReadRangeListAndDeleteRoundTrip()
    {
        var store = LocalDiskStore.Open(_root);
        var data = Enumerable.Range(0, 10_000).Select(i => (byte)i).ToArray();
        await store.PutAsync(StoreObjectKind.Pack, Name, data);
        Assert.True(File.Exists(Path.Combine(_root, "packs", "aa", Name)));
        Assert.Equal(data, await store.ReadAllAsync(StoreObjectKind.Pack, Name));
        var range = new byte[100];
        await store.ReadRangeAsync(StoreObjectKind.Pack, Name, 5000, range);
        Assert.Equal(data.AsSpan(5000, 100).ToArray(), range);
        Assert.Equal(10_000, await store.GetSizeAsync(StoreObjectKind.Pack, Name));

        var listed = new List<StoreObjectInfo>();
        await foreach (var info in store.ListAsync(StoreObjectKind.Pack)) listed.Add(info);
        Assert.Equal([new StoreObjectInfo(Name, 10_000, "local")], listed);

        await store.DeleteAsync(StoreObjectKind.Pack, Name);
        Assert.Null(await store.GetSizeAsync(StoreObjectKind.Pack, Name));
        await Assert.ThrowsAsync<StoreObjectNotFoundException>(() => store.ReadAllAsync(StoreObjectKind.Pack, Name));
    }

    [Fact]
    public async Task ReadsPastTheEndAreTruncationErrors()
    {
        var store = LocalDiskStore.Open(_root);
        await store.PutAsync(StoreObjectKind.Snapshot, Name, new byte[10]);
        var error = await Assert.ThrowsAsync<StoreObjectTruncatedException>(() => store.ReadRangeAsync(StoreObjectKind.Snapshot, Name, 5, new byte[10]));
        Assert.Equal(10, error.Size);
        Assert.Contains(Name, error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("../../etc/passwd")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("aa/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("abc")]
    public async Task HostileNamesNeverReachTheFilesystem(string name)
    {
        var store = LocalDiskStore.Open(_root);
        await Assert.ThrowsAsync<ArgumentException>(() => store.PutAsync(StoreObjectKind.Pack, name, new byte[1]));
        await Assert.ThrowsAsync<ArgumentException>(() => store.ReadAllAsync(StoreObjectKind.Snapshot, name));
        await Assert.ThrowsAsync<ArgumentException>(() => store.PutAsync(StoreObjectKind.Config, name, new byte[1]));
    }

    [Fact]
    public async Task LeftoverTemporaryFilesAreSweptAndCountedAtOpenAndStrayFilesAreNotListed()
    {
        LocalDiskStore.Open(_root);
        File.WriteAllBytes(Path.Combine(_root, "tmp", "half-written.tmp"), new byte[1234]);
        File.WriteAllBytes(Path.Combine(_root, "snapshots", "README"), new byte[3]);
        var store = LocalDiskStore.Open(_root);
        Assert.Equal(new TemporarySweep(1, 1234), store.LastSweep);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_root, "tmp")));
        await foreach (var _ in store.ListAsync(StoreObjectKind.Snapshot))
            Assert.Fail("a stray file was listed as a snapshot");
    }

    [Fact]
    public async Task AnOverwriteReplacesTheObjectWhole()
    {
        var store = LocalDiskStore.Open(_root);
        await store.PutAsync(StoreObjectKind.Config, "config", new byte[] { 1, 2, 3 });
        await store.PutAsync(StoreObjectKind.Config, "config", new byte[] { 4 });
        Assert.Equal(new byte[] { 4 }, await store.ReadAllAsync(StoreObjectKind.Config, "config"));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_root, "tmp")));
    }
}
