using Bunker.Index;
using Bunker.Server.Hosting;
using Bunker.Server.Stores;
using Bunker.Server.Tenancy;
using Bunker.Storage;
using Bunker.Storage.Crypto;
using Bunker.Storage.Stores;
using Bunker.Storage.Stores.S3;

namespace Bunker.Server;

/// <summary>
/// <c>bunkerd recover --store CONFIG --master-key FILE --data NEWDIR [--store-name NAME]</c>: a working daemon rebuilt
/// from nothing but a store and the master key. Every repository the store holds is found (an S3 bucket by the ids
/// its keys are under, a local tree by its TENANT/REPO folders), its sealed owner object says whose it is, its
/// index, pack table and snapshot catalog are rebuilt from its packs and manifests, and it is registered under its
/// tenant, in the store its owner object names. Tokens are never in a store, so none come back: a new bootstrap admin
/// token is written, as on a first start. CONFIG is a bunkerd configuration file; every local and s3 store in it is
/// searched, or only NAME.
/// </summary>
internal static class Recovery
{
    private const string Usage = "usage: bunkerd recover --store CONFIG --master-key FILE --data NEWDIR [--store-name NAME]   (or BUNKER_PASSPHRASE instead of --master-key)";

    public static async Task<int> RunAsync(string[] args)
    {
        string? config = null, keyFile = null, data = null, storeName = null;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "recover") continue;
            if (i + 1 >= args.Length) return Fail($"{args[i]} needs a value\n{Usage}", 2);
            switch (args[i])
            {
                case "--store": config = args[++i]; break;
                case "--master-key": keyFile = args[++i]; break;
                case "--data": data = args[++i]; break;
                case "--store-name": storeName = args[++i]; break;
                default: return Fail($"unknown argument '{args[i]}'\n{Usage}", 2);
            }
        }
        string? passphrase = Environment.GetEnvironmentVariable("BUNKER_PASSPHRASE");
        if (config is null || data is null || (keyFile is null && string.IsNullOrEmpty(passphrase))) return Fail(Usage, 2);
        if (Directory.Exists(data) && Directory.EnumerateFileSystemEntries(data).Any())
            return Fail($"{data} is not empty; recover builds a new data directory", 2);

        BunkerdOptions options;
        try
        {
            options = Bunkerd.ReadOptions(["--config", config, "--data", data]);
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or FormatException)
        {
            return Fail($"{config}: {e.Message}", 2);
        }
        try
        {
            using var stores = StoreCatalog.Create(options);
            if (storeName is not null && !stores.Settings.ContainsKey(storeName)) return Fail($"store '{storeName}' is not defined in {config}", 2);
            Directory.CreateDirectory(data);
            using var key = keyFile is not null ? CopyKey(keyFile, data) : MasterKey.FromPassphrase(passphrase!);
            using var index = BunkerIndex.Open(new IndexOptions { Path = DataDirectory.IndexPath(data) });
            var registry = new Registry(index);
            int recovered = 0, problems = 0;
            var seen = new HashSet<RepositoryId>();
            // Every leaf store (local and s3) unless one is named; each repository once, in the store its owner names.
            var leaves = storeName is not null ? [storeName] : stores.Settings.Where(s => s.Value.Type is "local" or "s3").Select(s => s.Key).Order(StringComparer.Ordinal).ToList();
            foreach (var leaf in leaves)
            {
                await foreach (var found in DiscoverAsync(stores, leaf))
                {
                    try
                    {
                        var (id, owner) = await IdentifyAsync(found, index, key);
                        if (seen.Contains(id)) continue;
                        if (owner is null)
                        {
                            Console.WriteLine($"skipped: repository {id} in store '{found.Store.Name}' has no owner object and no TENANT/REPO path to say whose it is");
                            problems++;
                            continue;
                        }
                        string home = owner.Store is { } named && stores.Settings.ContainsKey(named) ? named : storeName ?? leaf;
                        seen.Add(id);
                        var store = stores.Open(home, owner.Tenant, owner.Repository, id);
                        var report = await Repository.RebuildIndexAsync(store, index, key);
                        if (!registry.TryGetTenant(owner.Tenant, out _)) registry.CreateTenant(owner.Tenant);
                        if (registry.TryGetRepository(owner.Tenant, owner.Repository, out _))
                        {
                            Console.WriteLine($"skipped: {owner.Tenant}/{owner.Repository} appears twice (repository {id})");
                            problems++;
                            continue;
                        }
                        registry.AddRepository(owner.Tenant, owner.Repository, id, home);
                        recovered++;
                        Console.WriteLine($"recovered repository {owner.Tenant}/{owner.Repository} ({id}) in store {home}: {report.Packs} packs, {report.Chunks} chunks, {report.Snapshots} snapshots");
                        foreach (var problem in report.Problems) Console.WriteLine($"skipped: {problem}");
                        problems += report.Problems.Count;
                    }
                    catch (Exception e) when (e is InvalidDataException or StoreException or RepositoryStateException or WrongMasterKeyException)
                    {
                        Console.WriteLine($"skipped: a repository in store '{found.Store.Name}': {e.Message}");
                        problems++;
                    }
                }
            }
            registry.Bootstrap(generateToken: true, token => DataDirectory.WriteAdminToken(data, token));
            Console.WriteLine($"{recovered} repositor{(recovered == 1 ? "y" : "ies")} recovered into {Path.GetFullPath(data)}; a new admin token is in {Path.GetFullPath(DataDirectory.AdminTokenPath(data))}");
            Console.WriteLine($"start it with: bunkerd --data {Path.GetFullPath(data)} --config {Path.GetFullPath(config)}");
            return problems == 0 ? 0 : 3;
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or BunkerCryptoException or IndexCorruptException)
        {
            return Fail(e.Message, 1);
        }
    }

    /// <summary>A repository's objects in one leaf store, and the TENANT/REPO its place says, if its place says one.</summary>
    private sealed record Found(IPackStore Store, RepositoryOwner? FromPath);

    /// <summary>Every repository under the named store: for a fallback or tiered store, in every member.</summary>
    private static async IAsyncEnumerable<Found> DiscoverAsync(StoreCatalog stores, string name)
    {
        var settings = stores.Settings[name];
        switch (settings.Type)
        {
            case "s3":
                var bucket = stores.Buckets[name];
                await foreach (var id in S3PackStore.ListRepositoriesAsync(bucket))
                    yield return new Found(new S3PackStore(bucket, id), null);
                break;
            case "local":
                if (!Directory.Exists(settings.Path)) yield break;
                foreach (var tenantDir in Directory.GetDirectories(settings.Path!).Order(StringComparer.Ordinal))
                {
                    foreach (var repoDir in Directory.GetDirectories(tenantDir).Order(StringComparer.Ordinal))
                    {
                        string tenant = Path.GetFileName(tenantDir), repository = Path.GetFileName(repoDir);
                        if (Names.IsValid(tenant) && Names.IsValid(repository) && File.Exists(Path.Combine(repoDir, ObjectNames.ConfigName)))
                            yield return new Found(LocalDiskStore.Open(repoDir, name), new RepositoryOwner(tenant, repository));
                    }
                }
                break;
            default:
                var members = settings.Type == "tiered" ? [settings.Cold!, settings.Hot!] : settings.Members;
                foreach (var member in members)
                    await foreach (var found in DiscoverAsync(stores, member)) yield return found;
                break;
        }
    }

    /// <summary>The repository's id and owner, from its config and its sealed owner object (or, lacking one, its path).</summary>
    private static async Task<(RepositoryId Id, RepositoryOwner? Owner)> IdentifyAsync(Found found, BunkerIndex index, MasterKey key)
    {
        await using var repository = await Repository.OpenAsync(found.Store, index, key);
        var owner = await repository.ReadOwnerAsync() ?? found.FromPath;
        return (repository.Id, owner);
    }

    /// <summary>The key file, checked (0600, a valid key), copied into the new data directory as master.key.</summary>
    private static MasterKey CopyKey(string keyFile, string data)
    {
        var key = MasterKey.FromKeyFile(keyFile);
        string target = DataDirectory.MasterKeyPath(data);
        File.Copy(keyFile, target);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return key;
    }

    private static int Fail(string message, int code)
    {
        Console.Error.WriteLine($"bunkerd: {message}");
        return code;
    }
}
