using System.Collections.Concurrent;
using Bunker.Index;
using Bunker.Protocol.V1;
using Bunker.Server.Tenancy;
using Bunker.Storage;
using Bunker.Storage.Crypto;
using Bunker.Storage.Stores;
using Microsoft.Extensions.Logging;
using StorageRepository = Bunker.Storage.Repository;

namespace Bunker.Server.Hosting;

/// <summary>
/// The repositories bunkerd serves: one shared index, one master key, and one pack store per
/// repository under DIR/repos/TENANT/REPO. Repositories open on first use and stay open; opening
/// settles whatever a crash left half done. Disposing closes them (Repository.DisposeAsync).
/// </summary>
public sealed class RepositoryHost : IAsyncDisposable
{
    private readonly Stores.StoreCatalog _stores;
    private readonly BunkerIndex _index;
    private readonly MasterKey _masterKey;
    private readonly RepositoryOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Lazy<Task<StorageRepository>>> _open = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _createLock = new(1, 1);

    public RepositoryHost(Stores.StoreCatalog stores, BunkerIndex index, MasterKey masterKey, Registry registry, RepositoryOptions options, ILogger logger)
    {
        _stores = stores;
        _index = index;
        _masterKey = masterKey;
        _options = options;
        _logger = logger;
        Registry = registry;
    }

    public Registry Registry { get; }
    public BunkerIndex Index => _index;
    public Stores.StoreCatalog Stores => _stores;

    /// <summary>The named store a registered repository lives in.</summary>
    public static string StoreOf(RepositoryRecord record) => record.Store.Length > 0 ? record.Store : Server.Stores.StoreCatalog.LocalName;

    public static string StorePath(string dataDirectory, string tenant, string repository) => Path.Combine(dataDirectory, "repos", tenant, repository);

    /// <summary>The repositories that are open now, with their records (for the store jobs and status).</summary>
    public async Task<List<(RepositoryRecord Record, StorageRepository Repository)>> OpenAllAsync(CancellationToken cancellationToken)
    {
        var open = new List<(RepositoryRecord, StorageRepository)>();
        foreach (var tenant in Registry.ListTenants())
        {
            foreach (var record in Registry.ListRepositories(tenant.Name))
            {
                cancellationToken.ThrowIfCancellationRequested();
                try
                {
                    open.Add((record, await GetAsync(record).ConfigureAwait(false)));
                }
                catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException)
                {
                    _logger.LogWarning("Repository {Tenant}/{Repository} cannot be opened: {Error}", record.Tenant, record.Name, e.Message);
                }
            }
        }
        return open;
    }

    /// <summary>Creates a repository's store and records it. A store left by a create that died before recording is adopted.</summary>
    public async Task<RepositoryRecord> CreateAsync(string tenant, string name, CancellationToken cancellationToken)
    {
        Names.Check(tenant, "tenant");
        Names.Check(name, "repository");
        if (tenant == Names.SystemTenant)
            throw new ArgumentException("the system tenant holds no repositories; create a tenant for them");
        await _createLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!Registry.TryGetTenant(tenant, out _))
                throw new RegistryNotFoundException($"tenant '{tenant}' not found");
            if (Registry.TryGetRepository(tenant, name, out _))
                throw new RegistryConflictException($"repository '{tenant}/{name}' already exists");
            string storeName = _stores.StoreFor(tenant, name);
            var id = RepositoryId.New();
            var store = _stores.Open(storeName, tenant, name, id);
            if (await store.GetSizeAsync(StoreObjectKind.Config, ObjectNames.ConfigName, cancellationToken).ConfigureAwait(false) is null)
            {
                await using var created = await StorageRepository.CreateAsync(store, _index, _masterKey, _options, cancellationToken, id).ConfigureAwait(false);
                await created.WriteOwnerAsync(new RepositoryOwner(tenant, name, storeName), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                // A store laid out by name (local) may hold what a create that died before recording left.
                await using var adopted = await StorageRepository.OpenAsync(store, _index, _masterKey, _options, cancellationToken).ConfigureAwait(false);
                id = adopted.Id;
                await adopted.WriteOwnerAsync(new RepositoryOwner(tenant, name, storeName), cancellationToken).ConfigureAwait(false);
                _logger.LogWarning("Adopted the existing store of repository {Tenant}/{Repository} (a create that did not finish)", tenant, name);
            }
            return Registry.AddRepository(tenant, name, id, storeName);
        }
        finally
        {
            _createLock.Release();
        }
    }

    /// <summary>Opens (once) and returns a registered repository.</summary>
    public Task<StorageRepository> GetAsync(RepositoryRecord record)
    {
        string key = record.Tenant + "/" + record.Name;
        var lazy = _open.GetOrAdd(key, _ => new Lazy<Task<StorageRepository>>(() => OpenAsync(record)));
        var task = lazy.Value;
        if (task.IsFaulted || task.IsCanceled)
        {
            // A failed open is not cached: the next call tries again (the disk may be back).
            _open.TryRemove(new KeyValuePair<string, Lazy<Task<StorageRepository>>>(key, lazy));
        }
        return task;
    }

    private async Task<StorageRepository> OpenAsync(RepositoryRecord record)
    {
        var expected = new RepositoryId(record.Id.Span);
        var store = _stores.Open(StoreOf(record), record.Tenant, record.Name, expected);
        var repository = await StorageRepository.OpenAsync(store, _index, _masterKey, _options).ConfigureAwait(false);
        if (repository.Id != expected)
        {
            await repository.DisposeAsync().ConfigureAwait(false);
            throw new InvalidDataException($"repository {record.Tenant}/{record.Name}: its store holds repository {repository.Id}, the registry says {expected}");
        }
        try
        {
            // Repositories made before owner objects existed get one, so that their store alone can be recovered.
            if (await repository.ReadOwnerAsync().ConfigureAwait(false) is not { Store: not null })
                await repository.WriteOwnerAsync(new RepositoryOwner(record.Tenant, record.Name, StoreOf(record))).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            _logger.LogWarning("Repository {Tenant}/{Repository}: its owner object could not be checked or written: {Error}", record.Tenant, record.Name, e.Message);
        }
        var recovery = repository.Recovery;
        if (recovery.FoundAnything)
        {
            _logger.LogWarning("Repository {Tenant}/{Repository}: settled an interrupted run: {Packs} pack(s) indexed, {Abandoned} abandoned, {Snapshots} snapshot(s) recovered, {Temp} temporary file(s) removed, problems: {Problems}",
                record.Tenant, record.Name, recovery.RecoveredPacks, recovery.AbandonedPacks, recovery.RecoveredSnapshots, recovery.TemporaryFiles, string.Join("; ", recovery.Problems));
        }
        return repository;
    }

    /// <summary>
    /// Closes every open repository on shutdown: packs handed to the store finish, what is left in open packs is
    /// dropped (aborted sessions flushed their uploads first, so nothing promised durable is in them).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var (key, lazy) in _open)
        {
            if (!lazy.IsValueCreated) continue;
            try
            {
                var repository = await lazy.Value.ConfigureAwait(false);
                await repository.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e)
            {
                _logger.LogError(e, "Closing repository {Repository} failed", key);
            }
        }
        _open.Clear();
    }
}
