using Bunker.Index;
using Bunker.Storage.Stores;
using Bunker.Storage.Stores.Composite;
using Bunker.Storage.Stores.S3;
using Bunker.Server.Hosting;

namespace Bunker.Server.Stores;

/// <summary>
/// The named stores of bunkerd's configuration, checked once at start-up, and the per-repository pack store each one
/// makes: a local directory per TENANT/REPO, an S3 prefix per repository id, or a fallback or tiered composition of
/// other named stores. A store named <c>local</c> (the data directory's <c>repos/</c>) always exists unless the
/// configuration defines its own. Health is per named store and shared by every repository on it: an S3 bucket that
/// is down is down for all of them. Thread-safe.
/// </summary>
public sealed class StoreCatalog : IDisposable
{
    public const string LocalName = "local";
    private readonly Dictionary<string, StoreSettings> _settings;
    private readonly Dictionary<string, S3Bucket> _buckets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, StoreHealth> _health = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PackReadCache> _caches = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _repositoryStores;

    private StoreCatalog(Dictionary<string, StoreSettings> settings, string defaultStore, Dictionary<string, string> repositoryStores)
    {
        _settings = settings;
        DefaultStore = defaultStore;
        _repositoryStores = repositoryStores;
    }

    public string DefaultStore { get; }
    public IReadOnlyDictionary<string, StoreSettings> Settings => _settings;
    public IReadOnlyDictionary<string, S3Bucket> Buckets => _buckets;
    /// <summary>The health of each store that is a fallback member (the only ones whose health decides anything).</summary>
    public IReadOnlyDictionary<string, StoreHealth> Health => _health;

    /// <summary>Checks and builds the catalog; every mistake is an <see cref="ArgumentException"/> naming the store and the setting.</summary>
    public static StoreCatalog Create(BunkerdOptions options)
    {
        var settings = new Dictionary<string, StoreSettings>(StringComparer.Ordinal);
        foreach (var (name, store) in options.Stores) settings[name] = store;
        if (!settings.ContainsKey(LocalName))
            settings[LocalName] = new StoreSettings { Type = "local", Path = System.IO.Path.Combine(options.Data, "repos") };
        foreach (var (name, store) in settings) Validate(name, store, settings);
        if (!settings.ContainsKey(options.DefaultStore))
            throw new ArgumentException($"DefaultStore '{options.DefaultStore}' is not one of the stores ({string.Join(", ", settings.Keys)})");
        foreach (var (repository, store) in options.RepositoryStores)
        {
            if (repository.Split('/') is not [{ Length: > 0 }, { Length: > 0 }])
                throw new ArgumentException($"RepositoryStores: '{repository}' is not TENANT/REPOSITORY");
            if (!settings.ContainsKey(store))
                throw new ArgumentException($"RepositoryStores: '{repository}' names store '{store}', which is not configured");
        }
        var catalog = new StoreCatalog(settings, options.DefaultStore, new Dictionary<string, string>(options.RepositoryStores, StringComparer.Ordinal));
        try
        {
            foreach (var (name, store) in settings)
            {
                if (store.Type == "s3") catalog._buckets[name] = new S3Bucket(BucketOptions(name, store));
                if (store.Type == "fallback")
                {
                    var policy = new StoreHealthPolicy
                    {
                        FailedProbesToDegrade = store.FailedProbesToDegrade, GoodProbesToRecover = store.GoodProbesToRecover,
                        RecoverAfter = TimeSpan.FromSeconds(store.RecoverAfterSeconds),
                    };
                    policy.Validate();
                    foreach (var member in store.Members)
                        if (!catalog._health.ContainsKey(member)) catalog._health[member] = new StoreHealth(member, policy);
                }
                if (store.Type == "tiered" && store.CacheDirectory is { } cache)
                    catalog._caches[name] = new PackReadCache(cache, store.CacheMaxBytes);
            }
        }
        catch
        {
            catalog.Dispose();
            throw;
        }
        return catalog;
    }

    /// <summary>The store a new repository goes to: its entry in RepositoryStores, else the default.</summary>
    public string StoreFor(string tenant, string repository) =>
        _repositoryStores.TryGetValue(tenant + "/" + repository, out var store) ? store : DefaultStore;

    /// <summary>The pack store of one repository on the named store.</summary>
    public IPackStore Open(string store, string tenant, string repository, RepositoryId id)
    {
        if (!_settings.TryGetValue(store, out var settings))
            throw new InvalidOperationException($"repository {tenant}/{repository} is kept in store '{store}', which the configuration no longer defines");
        return settings.Type switch
        {
            "local" => LocalDiskStore.Open(System.IO.Path.Combine(settings.Path!, tenant, repository), store),
            "s3" => new S3PackStore(_buckets[store], id),
            "fallback" => new FallbackStore(store, [.. settings.Members.Select(m => new FallbackMember(Open(m, tenant, repository, id), _health[m]))]),
            "tiered" => new TieredStore(store, Open(settings.Hot!, tenant, repository, id), Open(settings.Cold!, tenant, repository, id), Policy(settings),
                _caches.GetValueOrDefault(store)),
            _ => throw new InvalidOperationException($"store '{store}' has type '{settings.Type}'"),
        };
    }

    /// <summary>Probes every store that is a fallback member once, recording its health.</summary>
    public async Task ProbeAsync(CancellationToken cancellationToken)
    {
        foreach (var (name, health) in _health)
        {
            try
            {
                await ProbeStoreAsync(name, cancellationToken).ConfigureAwait(false);
                health.ProbeSucceeded();
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                health.ProbeFailed(e);
            }
        }
    }

    private async Task ProbeStoreAsync(string name, CancellationToken cancellationToken)
    {
        var settings = _settings[name];
        switch (settings.Type)
        {
            case "s3":
                await _buckets[name].ProbeAsync(cancellationToken).ConfigureAwait(false);
                break;
            case "local":
                if (!Directory.Exists(settings.Path)) Directory.CreateDirectory(settings.Path!);
                break;
            default:
                foreach (var member in Members(settings)) await ProbeStoreAsync(member, cancellationToken).ConfigureAwait(false);
                break;
        }
    }

    private static IEnumerable<string> Members(StoreSettings settings) => settings.Type switch
    {
        "fallback" => settings.Members,
        "tiered" => [settings.Hot!, settings.Cold!],
        _ => [],
    };

    private static TierPolicy Policy(StoreSettings settings) => new()
    {
        MoveAfter = settings.MoveAfterHours is { } hours ? TimeSpan.FromHours(hours) : null,
        MoveUnreadAfter = settings.MoveUnreadAfterHours is { } idle ? TimeSpan.FromHours(idle) : null,
        HotMaxBytes = settings.HotMaxBytes,
    };

    private static S3BucketOptions BucketOptions(string name, StoreSettings s) => new()
    {
        Name = name,
        Endpoint = s.Endpoint is { Length: > 0 } endpoint ? new Uri(endpoint) : null,
        Region = s.Region,
        Bucket = s.Bucket!,
        Prefix = s.Prefix,
        AccessKey = s.AccessKey,
        SecretKey = s.SecretKey,
        SessionToken = s.SessionToken,
        PathStyle = s.PathStyle,
        MaxAttempts = s.MaxAttempts,
        AttemptTimeout = TimeSpan.FromSeconds(s.AttemptTimeoutSeconds),
        TotalTimeout = TimeSpan.FromSeconds(s.TotalTimeoutSeconds),
        PartSize = s.PartSizeMiB << 20,
        MultipartThreshold = s.MultipartThresholdMiB << 20,
    };

    private static void Validate(string name, StoreSettings store, Dictionary<string, StoreSettings> all)
    {
        if (!Tenancy.Names.IsValid(name))
            throw new ArgumentException($"store name '{name}' must be 1 to 63 of a-z 0-9 . _ -, starting with a letter or digit");
        string where = $"store '{name}'";
        switch (store.Type)
        {
            case "local":
                if (string.IsNullOrWhiteSpace(store.Path)) throw new ArgumentException($"{where}: a local store needs Path");
                break;
            case "s3":
                if (string.IsNullOrWhiteSpace(store.Bucket)) throw new ArgumentException($"{where}: an s3 store needs Bucket");
                if (store.Endpoint is { Length: > 0 } endpoint && !Uri.TryCreate(endpoint, UriKind.Absolute, out _))
                    throw new ArgumentException($"{where}: Endpoint '{endpoint}' is not a URL");
                BucketOptions(name, store).Validate();
                break;
            case "fallback":
                if (store.Members.Count < 2) throw new ArgumentException($"{where}: a fallback store needs at least two Members, the primary first");
                if (store.Members.Distinct().Count() != store.Members.Count) throw new ArgumentException($"{where}: a member is listed twice");
                foreach (var member in store.Members) CheckReference(where, member, all);
                break;
            case "tiered":
                if (store.Hot is null || store.Cold is null) throw new ArgumentException($"{where}: a tiered store needs Hot and Cold");
                if (store.Hot == store.Cold) throw new ArgumentException($"{where}: Hot and Cold must be different stores");
                CheckReference(where, store.Hot, all);
                CheckReference(where, store.Cold, all);
                Policy(store).Validate();
                if (store.CacheMaxBytes <= 0) throw new ArgumentException($"{where}: CacheMaxBytes must be positive");
                break;
            default:
                throw new ArgumentException($"{where}: Type must be local, s3, fallback or tiered (it is '{store.Type}')");
        }
        // A store may appear only once in a tree: pack locations are store names and must say one place.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        Walk(name, all, seen, where);
    }

    private static void CheckReference(string where, string member, Dictionary<string, StoreSettings> all)
    {
        if (!all.ContainsKey(member)) throw new ArgumentException($"{where}: member '{member}' is not a configured store");
    }

    private static void Walk(string name, Dictionary<string, StoreSettings> all, HashSet<string> seen, string where)
    {
        if (!seen.Add(name)) throw new ArgumentException($"{where}: store '{name}' appears twice in it (or it contains itself)");
        foreach (var member in Members(all[name])) Walk(member, all, seen, where);
    }

    public void Dispose()
    {
        foreach (var bucket in _buckets.Values) bucket.Dispose();
    }
}
