using Bunker.Chunking;
using Bunker.Index;
using Bunker.Server.Hosting;
using Bunker.Server.Tenancy;
using Bunker.Storage;
using Bunker.Storage.Crypto;
using Bunker.Storage.Stores;

namespace Bunker.Server;

/// <summary>
/// The operator commands that work on a data directory directly. Layout of DIR:
/// <c>master.key</c> (0600, unless BUNKER_MASTER_KEY_FILE or BUNKER_PASSPHRASE is given),
/// <c>index/</c> (RocksDB: the rebuildable cache plus the registry of tenants, repositories and
/// tokens) and <c>repos/TENANT/REPO/</c> (each repository's local pack store). They need the
/// daemon stopped: the index admits one process at a time.
/// </summary>
internal static class LocalCommands
{
    private const string Usage = """
        usage: bunkerd [--data DIR] [--repo TENANT/REPO] COMMAND
          init                          create DIR (master key, index) and the repository, registered for the daemon
          backup-file PATH...           store each file as one archive of a new snapshot; prints its id
          restore-file SNAPSHOT DIR     write every archive of SNAPSHOT ('latest' works) into DIR
          snapshots                     list snapshots
          check [--read-data]           compare store and index; with --read-data decrypt and hash every chunk
          rebuild-index                 drop the index and rebuild it from the store alone
          repair ...                    repair one repository (rebuild, check, heal from a mirror, quarantine); see 'bunkerd repair --help'
        DIR defaults to ./bunker-data, the repository to local/default. Exit codes: 0 ok, 1 failed, 2 bad usage, 3 check found damage.
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        var rest = new List<string>(args);
        string data = Environment.GetEnvironmentVariable("BUNKER_DATA") ?? "bunker-data";
        int at = rest.IndexOf("--data");
        if (at >= 0)
        {
            if (at + 1 >= rest.Count) return Fail("--data needs a directory", 2);
            data = rest[at + 1];
            rest.RemoveRange(at, 2);
        }
        string repo = "local/default";
        at = rest.IndexOf("--repo");
        if (at >= 0)
        {
            if (at + 1 >= rest.Count) return Fail("--repo needs TENANT/REPO", 2);
            repo = rest[at + 1];
            rest.RemoveRange(at, 2);
        }
        if (repo.Split('/') is not [var tenantName, var repoName] || !Names.IsValid(tenantName) || !Names.IsValid(repoName) || tenantName == Names.SystemTenant)
            return Fail($"--repo '{repo}' is not TENANT/REPO with valid names", 2);
        var target = new Target(data, tenantName, repoName);
        if (rest.Count == 0 || rest[0] is "-h" or "--help")
        {
            Console.WriteLine(Usage);
            return rest.Count == 0 ? 2 : 0;
        }
        try
        {
            return rest[0] switch
            {
                "init" => await InitAsync(target),
                "backup-file" when rest.Count > 1 => await BackupAsync(target, rest.GetRange(1, rest.Count - 1)),
                "restore-file" when rest.Count == 3 => await RestoreAsync(target, rest[1], rest[2]),
                "snapshots" => await WithRepositoryAsync(target, ListAsync),
                "check" => await WithRepositoryAsync(target, r => CheckAsync(r, rest.Contains("--read-data"))),
                "rebuild-index" => await RebuildAsync(data),
                _ => Fail($"unknown command or wrong arguments: {string.Join(' ', rest)}\n{Usage}", 2),
            };
        }
        catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException or KeyNotFoundException
                                   or UnauthorizedAccessException or ArgumentException or FormatException or BunkerCryptoException or IndexCorruptException)
        {
            return Fail(e.Message, 1);
        }
    }

    private static int Fail(string message, int code)
    {
        Console.Error.WriteLine($"bunkerd: {message}");
        return code;
    }

    private sealed record Target(string Data, string Tenant, string Repository)
    {
        public string StorePath => RepositoryHost.StorePath(Data, Tenant, Repository);
        public override string ToString() => $"{Tenant}/{Repository}";
    }

    private static MasterKey LoadMasterKey(string data) =>
        DataDirectory.LoadOrCreateMasterKey(data, Environment.GetEnvironmentVariable, Console.WriteLine);

    private static BunkerIndex OpenIndex(string data) => BunkerIndex.Open(new IndexOptions { Path = DataDirectory.IndexPath(data) });

    private static async Task<int> InitAsync(Target target)
    {
        Directory.CreateDirectory(target.Data);
        using var key = LoadMasterKey(target.Data);
        using var index = OpenIndex(target.Data);
        var registry = new Registry(index);
        registry.Bootstrap(generateToken: false, _ => { });
        if (!registry.TryGetTenant(target.Tenant, out _))
            registry.CreateTenant(target.Tenant);
        if (registry.TryGetRepository(target.Tenant, target.Repository, out _))
            return Fail($"repository {target} already exists in {Path.GetFullPath(target.Data)}", 1);
        await using var repository = await Repository.CreateAsync(LocalDiskStore.Open(target.StorePath), index, key);
        registry.AddRepository(target.Tenant, target.Repository, repository.Id);
        Console.WriteLine($"initialised repository {target} ({repository.Id}) in {Path.GetFullPath(target.Data)}");
        return 0;
    }

    private static async Task<int> WithRepositoryAsync(Target target, Func<Repository, Task<int>> action)
    {
        using var index = OpenIndex(target.Data);
        if (!new Registry(index).TryGetRepository(target.Tenant, target.Repository, out _))
            return Fail($"repository {target} does not exist in {Path.GetFullPath(target.Data)}; run init first", 1);
        using var key = LoadMasterKey(target.Data);
        await using var repository = await Repository.OpenAsync(LocalDiskStore.Open(target.StorePath), index, key);
        if (repository.Recovery.FoundAnything)
        {
            var r = repository.Recovery;
            Console.Error.WriteLine($"bunkerd: settled an interrupted run: {r.RecoveredPacks} pack(s) indexed, {r.AbandonedPacks} abandoned, {r.RecoveredSnapshots} snapshot(s) recovered, {r.AbandonedSnapshots} abandoned, {r.CompletedForgets} deletion(s) finished, {r.TemporaryFiles} temporary file(s) removed");
        }
        return await action(repository);
    }

    private static Task<int> BackupAsync(Target target, List<string> paths) => WithRepositoryAsync(target, async repository =>
    {
        var archives = new List<ArchiveWriter>();
        var chunker = new FastCdcChunker();
        foreach (var path in paths)
        {
            var archive = repository.CreateArchive(Path.GetFileName(Path.GetFullPath(path)));
            await using var file = File.OpenRead(path);
            await archive.AppendStreamAsync(file, chunker);
            archives.Add(archive);
        }
        var snapshot = await repository.CommitSnapshotAsync(
            new SnapshotDraft("files", Environment.MachineName, string.Join(',', paths)) { Paths = paths.ConvertAll(Path.GetFullPath) }, archives);
        Console.WriteLine(snapshot.Id);
        return 0;
    });

    private static Task<int> RestoreAsync(Target repo, string snapshotText, string target) => WithRepositoryAsync(repo, async repository =>
    {
        if (ResolveSnapshot(repository, snapshotText, out var id) is { } problem)
            return Fail(problem, 1);
        var manifest = await repository.LoadManifestAsync(id);
        Directory.CreateDirectory(target);
        string root = Path.GetFullPath(target) + Path.DirectorySeparatorChar;
        foreach (var archive in manifest.Archives)
        {
            string path = Path.GetFullPath(Path.Combine(root, archive.Name));
            if (!path.StartsWith(root, StringComparison.Ordinal) || archive.Name.Contains('/'))
                return Fail($"archive name '{archive.Name}' would escape the restore target; refused", 1);
            await using var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
            await repository.RestoreArchiveAsync(archive, output);
            Console.WriteLine($"restored {archive.Name} ({archive.Size} bytes)");
        }
        return 0;
    });

    /// <summary>Accepts "latest", a full id, or a unique prefix of one (as restic does); returns an error or null.</summary>
    private static string? ResolveSnapshot(Repository repository, string text, out SnapshotId id)
    {
        id = default;
        if (!SnapshotNames.IsWellFormed(text, minPrefix: 1))
            return $"'{(text.Length > 80 ? text[..80] + "..." : text)}' is not a snapshot id (hex, or a unique prefix of one) or 'latest'";
        var match = SnapshotNames.Resolve(repository, text, filter: null, out int matches);
        if (match is null)
            return text == SnapshotNames.Latest ? "the repository has no snapshots" : $"no snapshot matches '{text}'";
        if (matches > 1)
            return $"'{text}' matches {matches} snapshots; give more of the id";
        id = match.Id;
        return null;
    }

    private static Task<int> ListAsync(Repository repository)
    {
        foreach (var s in repository.ListSnapshots())
            Console.WriteLine($"{s.Id.ToShortString()}  {s.Time:yyyy-MM-dd HH:mm:ss}  {s.Host}  {s.SourceKind}  {s.SourceId}");
        return Task.FromResult(0);
    }

    private static async Task<int> CheckAsync(Repository repository, bool readData)
    {
        var report = await repository.CheckAsync(readData);
        Console.WriteLine($"packs: {report.PacksInStore} in store, {report.PacksIndexed} indexed; chunks: {report.ChunksIndexed}; snapshots: {report.Snapshots}");
        Console.WriteLine($"garbage: {report.OrphanPacks.Count} orphan pack(s) ({report.OrphanBytes} bytes), {report.UnreferencedChunks} unreferenced chunk(s) ({report.UnreferencedBytes} bytes)");
        foreach (var line in report.MissingPacks) Console.WriteLine($"missing pack {line}");
        foreach (var line in report.Damaged) Console.WriteLine($"damaged: {line}");
        foreach (var line in report.MissingChunks) Console.WriteLine($"missing: {line}");
        Console.WriteLine(report.IsHealthy ? "no damage found" : "DAMAGE FOUND");
        return report.IsHealthy ? 0 : 3;
    }

    /// <summary>
    /// Drops the index and rebuilds every repository under DIR/repos from its store alone. The
    /// registry (tenants, repositories, tokens) lives in the same database, so it is carried over;
    /// a repository directory the registry does not know is registered under its directory names.
    /// </summary>
    private static async Task<int> RebuildAsync(string data)
    {
        string indexPath = DataDirectory.IndexPath(data);
        var registryRecords = new List<KeyValuePair<byte[], byte[]>>();
        if (Directory.Exists(indexPath))
        {
            using (var old = OpenIndex(data))
                registryRecords.AddRange(old.Meta.ScanPrefix("reg/"u8));
            Directory.Delete(indexPath, recursive: true);
        }
        using var index = OpenIndex(data);
        using (var batch = index.CreateBatch())
        {
            foreach (var (k, v) in registryRecords) batch.PutMeta(k, v);
            index.Write(batch);
        }
        var registry = new Registry(index);
        registry.Bootstrap(generateToken: false, _ => { });
        using var key = LoadMasterKey(data);
        int problems = 0;
        string reposRoot = Path.Combine(data, "repos");
        var tenants = Directory.Exists(reposRoot) ? Directory.GetDirectories(reposRoot) : [];
        Array.Sort(tenants, StringComparer.Ordinal);
        foreach (var tenantDir in tenants)
        {
            var repos = Directory.GetDirectories(tenantDir);
            Array.Sort(repos, StringComparer.Ordinal);
            foreach (var repoDir in repos)
            {
                string tenant = Path.GetFileName(tenantDir), name = Path.GetFileName(repoDir);
                if (!Names.IsValid(tenant) || !Names.IsValid(name))
                {
                    Console.WriteLine($"skipped: {repoDir} is not named TENANT/REPO");
                    problems++;
                    continue;
                }
                var report = await Repository.RebuildIndexAsync(LocalDiskStore.Open(repoDir), index, key);
                if (!registry.TryGetTenant(tenant, out _)) registry.CreateTenant(tenant);
                if (!registry.TryGetRepository(tenant, name, out _)) registry.AddRepository(tenant, name, report.Repository);
                Console.WriteLine($"rebuilt repository {tenant}/{name} ({report.Repository}): {report.Packs} packs, {report.Chunks} chunks, {report.Snapshots} snapshots");
                foreach (var problem in report.Problems) Console.WriteLine($"skipped: {problem}");
                problems += report.Problems.Count;
            }
        }
        return problems == 0 ? 0 : 3;
    }
}
