using Bunker.Index;
using Bunker.Storage;
using Bunker.Storage.Chunking;
using Bunker.Storage.Crypto;
using Bunker.Storage.Stores;

namespace Bunker.Server;

/// <summary>
/// The operator commands that work on a data directory directly. Layout of DIR:
/// <c>master.key</c> (0600, unless BUNKER_MASTER_KEY_FILE or BUNKER_PASSPHRASE is given),
/// <c>index/</c> (RocksDB, a rebuildable cache) and <c>repos/default/</c> (the local pack store).
/// </summary>
internal static class LocalCommands
{
    private const string Usage = """
        usage: bunkerd [--data DIR] COMMAND
          init                          create DIR with a master key, an index and a repository
          backup-file PATH...           store each file as one archive of a new snapshot; prints its id
          restore-file SNAPSHOT DIR     write every archive of SNAPSHOT ('latest' works) into DIR
          snapshots                     list snapshots
          check [--read-data]           compare store and index; with --read-data decrypt and hash every chunk
          rebuild-index                 drop the index and rebuild it from the store alone
        DIR defaults to ./bunker-data. Exit codes: 0 ok, 1 failed, 2 bad usage, 3 check found damage.
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
        if (rest.Count == 0 || rest[0] is "-h" or "--help")
        {
            Console.WriteLine(Usage);
            return rest.Count == 0 ? 2 : 0;
        }
        try
        {
            return rest[0] switch
            {
                "init" => await InitAsync(data),
                "backup-file" when rest.Count > 1 => await BackupAsync(data, rest.GetRange(1, rest.Count - 1)),
                "restore-file" when rest.Count == 3 => await RestoreAsync(data, rest[1], rest[2]),
                "snapshots" => await WithRepositoryAsync(data, ListAsync),
                "check" => await WithRepositoryAsync(data, r => CheckAsync(r, rest.Contains("--read-data"))),
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

    private static string KeyPath(string data) => Path.Combine(data, "master.key");

    private static MasterKey LoadMasterKey(string data)
    {
        if (Environment.GetEnvironmentVariable("BUNKER_PASSPHRASE") is { Length: > 0 } passphrase)
            return MasterKey.FromPassphrase(passphrase);
        return MasterKey.FromKeyFile(Environment.GetEnvironmentVariable("BUNKER_MASTER_KEY_FILE") ?? KeyPath(data));
    }

    private static async Task<int> InitAsync(string data)
    {
        Directory.CreateDirectory(data);
        if (Environment.GetEnvironmentVariable("BUNKER_PASSPHRASE") is null && Environment.GetEnvironmentVariable("BUNKER_MASTER_KEY_FILE") is null
            && !File.Exists(KeyPath(data)))
        {
            MasterKey.GenerateKeyFile(KeyPath(data));
            Console.WriteLine($"generated master key {Path.GetFullPath(KeyPath(data))} (0600): keep a copy off this machine; without it the backups cannot be read");
        }
        var store = LocalDiskStore.Open(Path.Combine(data, "repos", "default"));
        using var index = OpenIndex(data);
        using var key = LoadMasterKey(data);
        await using var repository = await Repository.CreateAsync(store, index, key);
        Console.WriteLine($"initialised repository {repository.Id} in {Path.GetFullPath(data)}");
        return 0;
    }

    private static BunkerIndex OpenIndex(string data) => BunkerIndex.Open(new IndexOptions { Path = Path.Combine(data, "index") });

    private static async Task<int> WithRepositoryAsync(string data, Func<Repository, Task<int>> action)
    {
        var store = LocalDiskStore.Open(Path.Combine(data, "repos", "default"));
        using var index = OpenIndex(data);
        using var key = LoadMasterKey(data);
        await using var repository = await Repository.OpenAsync(store, index, key);
        if (repository.Recovery.FoundAnything)
        {
            var r = repository.Recovery;
            Console.Error.WriteLine($"bunkerd: settled an interrupted run: {r.RecoveredPacks} pack(s) indexed, {r.AbandonedPacks} abandoned, {r.RecoveredSnapshots} snapshot(s) recovered, {r.AbandonedSnapshots} abandoned, {r.CompletedForgets} deletion(s) finished, {r.TemporaryFiles} temporary file(s) removed");
        }
        return await action(repository);
    }

    private static Task<int> BackupAsync(string data, List<string> paths) => WithRepositoryAsync(data, async repository =>
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

    private static Task<int> RestoreAsync(string data, string snapshotText, string target) => WithRepositoryAsync(data, async repository =>
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
        if (text.Length == 0 || text.Length > 64 || (text != "latest" && !text.All(char.IsAsciiHexDigit)))
            return $"'{(text.Length > 80 ? text[..80] + "..." : text)}' is not a snapshot id (hex, or a unique prefix of one) or 'latest'";
        SnapshotRecord? match = null;
        int matches = 0;
        foreach (var snapshot in repository.ListSnapshots())
        {
            if (text == "latest" || snapshot.Id.ToString().StartsWith(text, StringComparison.OrdinalIgnoreCase))
            {
                matches++;
                if (text == "latest" && match is not null && snapshot.Time < match.Time) continue;
                match = snapshot;
            }
        }
        if (match is null)
            return text == "latest" ? "the repository has no snapshots" : $"no snapshot matches '{text}'";
        if (matches > 1 && text != "latest")
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

    private static async Task<int> RebuildAsync(string data)
    {
        string indexPath = Path.Combine(data, "index");
        if (Directory.Exists(indexPath))
            Directory.Delete(indexPath, recursive: true);
        var store = LocalDiskStore.Open(Path.Combine(data, "repos", "default"));
        using var index = OpenIndex(data);
        using var key = LoadMasterKey(data);
        var report = await Repository.RebuildIndexAsync(store, index, key);
        Console.WriteLine($"rebuilt repository {report.Repository}: {report.Packs} packs, {report.Chunks} chunks, {report.Snapshots} snapshots");
        foreach (var problem in report.Problems) Console.WriteLine($"skipped: {problem}");
        return report.Problems.Count == 0 ? 0 : 3;
    }
}
