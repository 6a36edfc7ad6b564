using Bunker.Bench.Peers;
using Bunker.Tests.Shared;

namespace Bunker.Bench.Files;

/// <summary>
/// Bunker as a user runs it: a bunkerd process on 127.0.0.1 with a fresh data directory (local store),
/// a tenant, repository and backup+restore token made with `bunker admin` as scripts/quickstart.sh does,
/// then the `bunker` CLI for every backup and restore. The daemon's data directory is the repository.
/// </summary>
internal sealed class BunkerCli(string workDirectory, string logPath, string bunkerDll) : ToolCli("bunker", workDirectory, logPath)
{
    private const string Tenant = "bench";
    private const string Repository = "files";

    private DaemonProcess? _server;
    private string? _token;

    public override string Settings =>
        "bunkerd on 127.0.0.1 (h2c) with a local store, repository = its whole data dir (packs + RocksDB index); " +
        "FastCDC 512 KiB/1 MiB/8 MiB, zstd-3 (raw where it saves < 2%), AES-256-GCM; client: the bunker CLI";

    public override string RepositoryDirectory => Sub("bunkerd-data");

    public override int? DaemonPid => _server?.Pid;

    public override async Task InitAsync()
    {
        _server = await DaemonProcess.StartAsync(RepositoryDirectory);
        var admin = Cli(_server.AdminToken);
        await admin.RunAsync(bunkerDll, "admin", "tenant", "create", Tenant);
        await admin.RunAsync(bunkerDll, "admin", "repo", "create", $"{Tenant}/{Repository}");
        var created = await admin.RunAsync(bunkerDll, "admin", "token", "create", "--tenant", Tenant,
            "--role", "backup", "--role", "restore", "--repo", Repository, "--description", "files bench");
        _token = created.Output.Trim();
    }

    public override Task<ToolRun> BackupAsync(string source, string label) =>
        Cli().RunAsync(bunkerDll, "backup", "files", source, "--host", "bench");

    public override Task<ToolRun> RestoreLatestAsync(string target) =>
        Cli().RunAsync(bunkerDll, "restore", "latest", "--host", "bench", "--target", target);

    public override async Task<string> VersionAsync() => "bunker " + (await Cli("").RunAsync(bunkerDll, "--version")).Output.Trim();

    public override async ValueTask DisposeAsync()
    {
        if (_server is null)
            return;
        int pid = _server.Pid;
        await _server.DisposeAsync();
        // bunkerd's own log, after the clients' output, for when a phase failed on the server's side.
        await File.AppendAllTextAsync(LogPath, $"--- bunkerd (pid {pid}) output ---\n{_server.Output}\n");
    }

    /// <summary>The CLI under `dotnet`, as scripts/quickstart.sh runs it, talking to this daemon with <paramref name="token"/> (default: the backup token).</summary>
    private ExternalTool Cli(string? token = null) => new("dotnet", new Dictionary<string, string?>
    {
        ["BUNKER_SERVER"] = _server?.Address.ToString().TrimEnd('/'),
        ["BUNKER_TOKEN"] = token ?? _token ?? throw new InvalidOperationException("bunker: InitAsync has not run"),
        ["BUNKER_REPOSITORY"] = Repository,
        ["BUNKER_TOKEN_FILE"] = null,
        ["BUNKER_CA_CERT"] = null,
    }, LogPath);
}
