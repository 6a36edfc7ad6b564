using Bunker.Bench.Ingest;
using Bunker.Bench.Workloads;
using Bunker.Storage.Crypto;

namespace Bunker.Bench.Peers;

/// <summary>One tool in the comparison: how to create its repository, and how to back the tree up into it.</summary>
internal abstract class Contender(string name)
{
    public string Name { get; } = name;

    /// <summary>Creates an empty repository in <paramref name="repository"/> (not timed).</summary>
    public abstract Task InitAsync(string repository);

    /// <summary>One backup of the tree into the repository; returns its peak RSS when known.</summary>
    public abstract Task<long?> BackupAsync(string repository, SourceTree tree, int run);
}

/// <summary>Bunker, in this process: the same path as `ingest`, without a files cache, so a second backup re-reads everything.</summary>
internal sealed class BunkerContender(int threads, MasterKey masterKey) : Contender($"bunker ({threads} thread{(threads == 1 ? "" : "s")})")
{
    public override Task InitAsync(string repository) => Task.CompletedTask;

    public override async Task<long?> BackupAsync(string repository, SourceTree tree, int run)
    {
        await BunkerBackup.RunAsync(repository, tree, threads, masterKey);
        return null;
    }
}

/// <summary>restic with a fresh repository (format 2, compression "auto", which is zstd) and its cache inside the work dir.</summary>
internal sealed class ResticContender(string logPath) : Contender("restic (zstd auto)")
{
    public override async Task InitAsync(string repository) => await Tool(repository).RunAsync("-r", Repo(repository), "init");

    public override async Task<long?> BackupAsync(string repository, SourceTree tree, int run) =>
        await Tool(repository).RunAsync("-r", Repo(repository), "backup", "--host", "bench", tree.Root);

    private static string Repo(string workDir) => Path.Combine(workDir, "repo");

    private ExternalTool Tool(string workDir) => new("restic", new Dictionary<string, string>
    {
        ["RESTIC_PASSWORD"] = "bench",
        ["RESTIC_CACHE_DIR"] = Path.Combine(workDir, "cache"),
    }, logPath);
}

/// <summary>borg with `repokey-blake2` encryption and the given compression; its keys, cache and config live in the work dir.</summary>
internal sealed class BorgContender(string compression, string logPath) : Contender($"borg ({compression})")
{
    public override async Task InitAsync(string repository) =>
        await Tool(repository).RunAsync("init", "-e", "repokey-blake2", Repo(repository));

    public override async Task<long?> BackupAsync(string repository, SourceTree tree, int run) =>
        await Tool(repository).RunAsync("create", "--compression", compression, $"{Repo(repository)}::run{run}", tree.Root);

    private static string Repo(string workDir) => Path.Combine(workDir, "repo");

    private ExternalTool Tool(string workDir) => new("borg", new Dictionary<string, string>
    {
        ["BORG_PASSPHRASE"] = "bench",
        ["BORG_BASE_DIR"] = Path.Combine(workDir, "base"),
    }, logPath);
}
