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
    private readonly string _reposRoot;
    private readonly BunkerIndex _index;
    private readonly MasterKey _masterKey;
    private readonly RepositoryOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Lazy<Task<StorageRepository>>> _open = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _createLock = new(1, 1);

    public RepositoryHost(string dataDirectory, BunkerIndex index, MasterKey masterKey, Registry registry, RepositoryOptions options, ILogger logger)
    {
        _reposRoot = Path.Combine(dataDirectory, "repos");
        _index = index;
        _masterKey = masterKey;
        _options = options;
        _logger = logger;
        Registry = registry;
    }

    public Registry Registry { get; }
    public BunkerIndex Index => _index;

    public static string StorePath(string dataDirectory, string tenant, string repository) => Path.Combine(dataDirectory, "repos", tenant, repository);

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
            var store = LocalDiskStore.Open(Path.Combine(_reposRoot, tenant, name));
            RepositoryId id;
            if (await store.GetSizeAsync(StoreObjectKind.Config, ObjectNames.ConfigName, cancellationToken).ConfigureAwait(false) is null)
            {
                await using var created = await StorageRepository.CreateAsync(store, _index, _masterKey, _options, cancellationToken).ConfigureAwait(false);
                id = created.Id;
            }
            else
            {
                await using var adopted = await StorageRepository.OpenAsync(store, _index, _masterKey, _options, cancellationToken).ConfigureAwait(false);
                id = adopted.Id;
                _logger.LogWarning("Adopted the existing store of repository {Tenant}/{Repository} (a create that did not finish)", tenant, name);
            }
            return Registry.AddRepository(tenant, name, id);
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
        var store = LocalDiskStore.Open(Path.Combine(_reposRoot, record.Tenant, record.Name));
        var repository = await StorageRepository.OpenAsync(store, _index, _masterKey, _options).ConfigureAwait(false);
        if (repository.Id != new RepositoryId(record.Id.Span))
        {
            await repository.DisposeAsync().ConfigureAwait(false);
            throw new InvalidDataException($"repository {record.Tenant}/{record.Name}: its store holds repository {repository.Id}, the registry says {new RepositoryId(record.Id.Span)}");
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
