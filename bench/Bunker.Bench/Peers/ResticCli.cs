namespace Bunker.Bench.Peers;

/// <summary>restic with a local repository (the default format of 0.14: version 2, compression auto = zstd) and its cache in the work dir.</summary>
internal sealed class ResticCli(string workDirectory, string logPath) : ToolCli("restic", workDirectory, logPath)
{
    public override string Settings =>
        "local repository, format v2 and compression 'auto' (restic 0.14's defaults: zstd), AES-256-CTR + Poly1305, cache in its work dir";

    public override async Task InitAsync() => await Tool().RunAsync("-r", RepositoryDirectory, "init");

    public override Task<ToolRun> BackupAsync(string source, string label) =>
        Tool().RunAsync("-r", RepositoryDirectory, "backup", "--host", "bench", source);

    // restic recreates the absolute source path below the target.
    public override Task<ToolRun> RestoreLatestAsync(string target) =>
        Tool().RunAsync("-r", RepositoryDirectory, "restore", "latest", "--host", "bench", "--target", target);

    public override async Task<string> VersionAsync() => (await Tool().RunAsync("version")).Output.Trim();

    private ExternalTool Tool() => new("restic", new Dictionary<string, string?>
    {
        ["RESTIC_PASSWORD"] = "bench",
        ["RESTIC_CACHE_DIR"] = Sub("cache"),
        ["RESTIC_REPOSITORY"] = null,
        ["RESTIC_PASSWORD_FILE"] = null,
        ["RESTIC_PASSWORD_COMMAND"] = null,
        ["RESTIC_COMPRESSION"] = null,
    }, LogPath);
}
