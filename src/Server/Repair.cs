using Bunker.Index;
using Bunker.Server.Hosting;
using Bunker.Server.Stores;
using Bunker.Server.Tenancy;
using Bunker.Storage;
using Bunker.Storage.Crypto;
using Bunker.Storage.Stores;

namespace Bunker.Server;

/// <summary>
/// <c>bunkerd repair</c>: an operator's repair of one repository, with the daemon stopped (the index admits one
/// process). The steps run in a fixed order, each only when asked for:
/// <list type="number">
/// <item><c>--rebuild-index</c>: the repository's index, pack table and snapshot catalog rebuilt from its store alone;</item>
/// <item><c>--check [--read-data]</c>: a check; damaged chunks leave the index and their packs are recorded as damaged;</item>
/// <item><c>--heal-from STORE|DIR</c>: damaged or missing packs copied back from a second store (a name in the
/// configuration, or a directory holding a copy of the repository), each copy checked against its name first;</item>
/// <item><c>--quarantine</c>: packs still recorded damaged have their intact chunks copied into new packs and are moved
/// to the store's quarantine (kept, never deleted, never read as data).</item>
/// </list>
/// A damaged chunk that no mirror had comes back when a later backup uploads the same data. Exit codes: 0 all is well
/// afterwards, 1 failed, 2 bad usage, 3 done but damage or problems remain.
/// </summary>
internal static class Repair
{
    private const string Usage = """
        usage: bunkerd repair --repo TENANT/REPO [--data DIR] [--config FILE] [--rebuild-index] [--check] [--read-data]
                              [--heal-from STORE|DIR] [--quarantine]
        Run with the daemon stopped. Steps run in this order: rebuild-index, check (drops damaged chunks from the index),
        heal-from (copies intact packs back from a mirror), quarantine (moves damaged packs aside after salvaging what verifies).
        Exit codes: 0 healthy afterwards, 1 failed, 2 bad usage, 3 damage or problems remain.
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        string? data = Environment.GetEnvironmentVariable("BUNKER_DATA"), config = null, repo = null, healFrom = null;
        bool rebuild = false, check = false, readData = false, quarantine = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "repair": break;
                case "--rebuild-index": rebuild = true; break;
                case "--check": check = true; break;
                case "--read-data": readData = check = true; break;
                case "--quarantine": quarantine = true; break;
                case "-h" or "--help": Console.WriteLine(Usage); return 0;
                case "--data" or "--config" or "--repo" or "--heal-from":
                    if (i + 1 >= args.Length) return Fail($"{args[i]} needs a value\n{Usage}", 2);
                    string value = args[++i];
                    switch (args[i - 1])
                    {
                        case "--data": data = value; break;
                        case "--config": config = value; break;
                        case "--repo": repo = value; break;
                        default: healFrom = value; break;
                    }
                    break;
                default: return Fail($"unknown argument '{args[i]}'\n{Usage}", 2);
            }
        }
        if (repo is null || repo.Split('/') is not [var tenant, var name] || !Names.IsValid(tenant) || !Names.IsValid(name))
            return Fail($"--repo TENANT/REPO is required, with valid names\n{Usage}", 2);
        if (!rebuild && !check && !quarantine && healFrom is null)
            return Fail($"say what to do: --rebuild-index, --check, --heal-from or --quarantine\n{Usage}", 2);
        data ??= "bunker-data";
        if (!Directory.Exists(DataDirectory.IndexPath(data))) return Fail($"{data} is not a bunkerd data directory (it has no index)", 2);

        BunkerdOptions options;
        try
        {
            options = Bunkerd.ReadOptions(config is null ? ["--data", data] : ["--data", data, "--config", config]);
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or FormatException)
        {
            return Fail(e.Message, 2);
        }
        try
        {
            using var stores = StoreCatalog.Create(options);
            using var key = DataDirectory.LoadOrCreateMasterKey(data, Environment.GetEnvironmentVariable, Console.WriteLine);
            using var index = BunkerIndex.Open(new IndexOptions { Path = DataDirectory.IndexPath(data) });
            var registry = new Registry(index);
            if (!registry.TryGetRepository(tenant, name, out var record)) return Fail($"repository {repo} is not registered in {data}", 1);
            var store = stores.Open(RepositoryHost.StoreOf(record), tenant, name, new RepositoryId(record.Id.Span));
            IPackStore? mirror = null;
            if (healFrom is not null)
            {
                if (stores.Settings.ContainsKey(healFrom)) mirror = stores.Open(healFrom, tenant, name, new RepositoryId(record.Id.Span));
                else if (Directory.Exists(healFrom)) mirror = LocalDiskStore.Open(healFrom, "mirror");
                else return Fail($"--heal-from '{healFrom}' is neither a store in the configuration nor a directory", 2);
            }
            int remaining = 0;

            if (rebuild)
            {
                var report = await Repository.RebuildIndexAsync(store, index, key);
                Console.WriteLine($"rebuilt the index of {repo}: {report.Packs} packs, {report.Chunks} chunks, {report.Snapshots} snapshots");
                foreach (var problem in report.Problems) Console.WriteLine($"skipped: {problem}");
                remaining += report.Problems.Count;
            }

            await using var repository = await Repository.OpenAsync(store, index, key, new RepositoryOptions { PackTargetSize = options.PackTargetSize });
            if (check)
            {
                var report = await repository.CheckAsync(new CheckOptions { ReadData = readData, DropDamaged = true });
                Console.WriteLine($"check: {report.PacksInStore} pack(s) in store, {report.PacksIndexed} indexed, {report.PacksRead} read; {report.ChunksVerified} chunk(s) verified");
                foreach (var pack in report.MissingPacks) Console.WriteLine($"missing pack {pack}");
                foreach (var line in report.Damaged) Console.WriteLine($"damaged: {line}");
                foreach (var line in report.MissingChunks) Console.WriteLine($"missing: {line}");
            }
            if (mirror is not null)
            {
                var report = await repository.HealFromAsync(mirror);
                Console.WriteLine($"healed {report.PacksHealed} pack(s) from {healFrom}, {report.ChunksRestored} chunk(s) back in the index");
                foreach (var problem in report.Problems) Console.WriteLine($"not healed: {problem}");
            }
            if (quarantine)
            {
                var report = await repository.QuarantineDamagedAsync();
                Console.WriteLine($"quarantined {report.PacksQuarantined} pack(s), {report.ChunksSalvaged} intact chunk(s) salvaged into new packs");
                foreach (var problem in report.Problems) Console.WriteLine($"problem: {problem}");
                remaining += report.Problems.Count;
            }

            // What is left: a check of references (cheap) says whether every snapshot is whole now.
            var after = await repository.CheckAsync(new CheckOptions());
            remaining += after.MissingPacks.Count + after.MissingChunks.Count + repository.DamagedPacks().Count;
            Console.WriteLine(remaining == 0
                ? "every snapshot is whole"
                : $"still damaged: {after.MissingPacks.Count} pack(s) missing, {after.MissingChunks.Count} reference(s) to missing chunks, {repository.DamagedPacks().Count} pack(s) recorded damaged; a backup of the same data stores missing chunks again");
            return remaining == 0 ? 0 : 3;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException or ArgumentException or UnauthorizedAccessException
                                   or BunkerCryptoException or IndexCorruptException or StoreException)
        {
            return Fail(e.Message, 1);
        }
    }

    private static int Fail(string message, int code)
    {
        Console.Error.WriteLine($"bunkerd: {message}");
        return code;
    }
}
