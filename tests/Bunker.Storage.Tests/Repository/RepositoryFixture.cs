using Bunker.Index;
using Bunker.Storage.Crypto;
using Bunker.Storage.Stores;

namespace Bunker.Storage.Tests.Repository;

/// <summary>
/// A real repository on disk for one test: a LocalDiskStore (store/), a RocksDB index (index/)
/// and a master key file (master.key) under one root. A root the fixture made is removed
/// afterwards; one it was given (a crash child's) is only closed.
/// </summary>
public sealed class RepositoryFixture : IAsyncDisposable
{
    private readonly bool _ownsRoot;

    public RepositoryFixture(RepositoryOptions? options = null)
        : this(Directory.CreateTempSubdirectory("bunker-repo-").FullName, ownsRoot: true, options)
    {
        MasterKey.GenerateKeyFile(KeyFile);
    }

    private RepositoryFixture(string root, bool ownsRoot, RepositoryOptions? options)
    {
        Root = root;
        _ownsRoot = ownsRoot;
        KeyFile = Path.Combine(Root, "master.key");
        Options = options ?? new RepositoryOptions { PackTargetSize = 1 << 20, Writers = 2 };
    }

    public string Root { get; }
    public string KeyFile { get; }
    public string StorePath => Path.Combine(Root, "store");
    public string IndexPath => Path.Combine(Root, "index");
    public RepositoryOptions Options { get; }
    public LocalDiskStore Store { get; private set; } = null!;
    public BunkerIndex Index { get; private set; } = null!;
    public Bunker.Storage.Repository Repository { get; private set; } = null!;

    public static async Task<RepositoryFixture> CreateAsync(RepositoryOptions? options = null)
    {
        var fixture = new RepositoryFixture(options);
        fixture.OpenStoreAndIndex();
        using var key = MasterKey.FromKeyFile(fixture.KeyFile);
        fixture.Repository = await Bunker.Storage.Repository.CreateAsync(fixture.Store, fixture.Index, key, fixture.Options);
        return fixture;
    }

    /// <summary>Opens the repository another process left under <paramref name="root"/>, settling what it left half done.</summary>
    public static async Task<RepositoryFixture> OpenExistingAsync(string root)
    {
        var fixture = new RepositoryFixture(root, ownsRoot: false, options: null);
        await fixture.ReopenAsync();
        return fixture;
    }

    public void OpenStoreAndIndex()
    {
        Store = LocalDiskStore.Open(StorePath);
        Index = BunkerIndex.Open(new IndexOptions { Path = IndexPath, BlockCacheBytes = 8 << 20 });
    }

    /// <summary>Closes everything and opens it again, as a restart would.</summary>
    public async Task ReopenAsync()
    {
        await CloseAsync();
        OpenStoreAndIndex();
        using var key = MasterKey.FromKeyFile(KeyFile);
        Repository = await Bunker.Storage.Repository.OpenAsync(Store, Index, key, Options);
    }

    public async Task CloseAsync()
    {
        if (Repository is not null)
            await Repository.DisposeAsync();
        Index?.Dispose();
        Repository = null!;
        Index = null!;
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync();
        if (_ownsRoot)
        {
            try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
        }
    }
}
