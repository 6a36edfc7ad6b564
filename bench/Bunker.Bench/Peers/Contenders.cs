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

/// <summary>A tool run through its command line (<see cref="ToolCli"/>), one work dir per repository.</summary>
internal sealed class CliContender(string name, Func<string, ToolCli> open) : Contender(name)
{
    public override Task InitAsync(string repository) => open(repository).InitAsync();

    public override async Task<long?> BackupAsync(string repository, SourceTree tree, int run) =>
        (await open(repository).BackupAsync(tree.Root, $"run{run}")).PeakRss;

    /// <summary>restic with its defaults (repository v2, compression auto, which is zstd).</summary>
    public static CliContender Restic(string logPath) => new("restic (zstd auto)", work => new ResticCli(work, logPath));

    /// <summary>borg with `repokey-blake2` encryption and the given compression.</summary>
    public static CliContender Borg(string compression, string logPath) =>
        new($"borg ({compression})", work => new BorgCli(work, logPath, "repokey-blake2", compression));
}
