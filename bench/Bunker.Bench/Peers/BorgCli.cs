namespace Bunker.Bench.Peers;

/// <summary>
/// borg with a local repository; <paramref name="compression"/> null keeps borg's default (lz4).
/// Its keys, cache and config live in the work dir (BORG_BASE_DIR), so runs never share a files cache.
/// </summary>
internal sealed class BorgCli(string workDirectory, string logPath, string encryption, string? compression)
    : ToolCli("borg", workDirectory, logPath)
{
    private string? _latestArchive;

    public override string Settings =>
        $"local repository, -e {encryption}, compression {compression ?? "default (lz4)"}, files cache in its work dir";

    public override async Task InitAsync() => await Tool().RunAsync("init", "-e", encryption, RepositoryDirectory);

    public override async Task<ToolRun> BackupAsync(string source, string label)
    {
        string archive = $"{RepositoryDirectory}::{label}";
        var run = compression is null
            ? await Tool().RunAsync("create", archive, source)
            : await Tool().RunAsync("create", "--compression", compression, archive, source);
        _latestArchive = label;
        return run;
    }

    // borg extracts into the working directory, recreating the source path without its leading '/'.
    public override Task<ToolRun> RestoreLatestAsync(string target) =>
        Tool(target).RunAsync("extract", $"{RepositoryDirectory}::{_latestArchive ?? throw new InvalidOperationException("borg: nothing backed up yet")}");

    public override async Task<string> VersionAsync() => (await Tool().RunAsync("--version")).Output.Trim();

    private ExternalTool Tool(string? workingDirectory = null) => new("borg", new Dictionary<string, string?>
    {
        ["BORG_PASSPHRASE"] = "bench",
        ["BORG_BASE_DIR"] = Sub("base"),
        ["BORG_REPO"] = null,
        ["BORG_PASSCOMMAND"] = null,
        ["BORG_PASSPHRASE_FD"] = null,
        ["BORG_CACHE_DIR"] = null,
        ["BORG_CONFIG_DIR"] = null,
        ["BORG_KEYS_DIR"] = null,
        ["BORG_SECURITY_DIR"] = null,
    }, LogPath, workingDirectory);
}
