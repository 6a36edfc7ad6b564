using Bunker.Tests.Shared;

namespace Bunker.EndToEnd.Tests.Postgres;

/// <summary>
/// A real bunkerd and a real PostgreSQL 15 cluster whose archive_command is <c>bunker pg wal-push</c>, run by the
/// server as the postgres user, exactly as an operator would set it up. The daemon can be stopped and started again
/// on the same port and data, to play an archive outage.
/// </summary>
public sealed class PgArchive : IAsyncDisposable
{
    public const string Host = "pg-src";
    private readonly string _root;
    private readonly int _port;

    private PgArchive(string root, DaemonProcess daemon, PostgresCluster source, string token, string operatorToken)
    {
        _root = root;
        Daemon = daemon;
        _port = daemon.Port;
        Source = source;
        Token = token;
        OperatorToken = operatorToken;
    }

    public DaemonProcess Daemon { get; private set; }
    public PostgresCluster Source { get; }
    public string Token { get; }
    public string OperatorToken { get; }
    public Dictionary<string, string> Env => new() { ["BUNKER_SERVER"] = Daemon.Address.ToString(), ["BUNKER_TOKEN"] = Token, ["BUNKER_REPOSITORY"] = "main" };
    public Dictionary<string, string> OperatorEnv => new() { ["BUNKER_SERVER"] = Daemon.Address.ToString(), ["BUNKER_TOKEN"] = OperatorToken, ["BUNKER_REPOSITORY"] = "main" };

    public static async Task<PgArchive> StartAsync()
    {
        string root = Directory.CreateDirectory(Path.Combine("/var/tmp", $"bunker-pg-{Guid.NewGuid():N}")).FullName;
        var daemon = await DaemonProcess.StartAsync(Path.Combine(root, "bunkerd"));
        var admin = new Dictionary<string, string> { ["BUNKER_SERVER"] = daemon.Address.ToString(), ["BUNKER_TOKEN"] = daemon.AdminToken };
        string token = await RunningDaemon.TenantAsync(admin, "dbs", ["main"]);
        string operatorToken = (await InProcessCli.OkAsync(admin, "admin", "token", "create", "--tenant", "dbs", "--role", "operator", "--role", "restore")).Stdout.Trim();

        // The archive command runs as postgres: its token file lives in the cluster's own directory.
        var source = await PostgresCluster.InitAsync("bunker-pgsrc", new Dictionary<string, string>
        {
            ["archive_mode"] = "on",
            ["archive_command"] = "''", // set below, once the token file's place is known
        });
        string tokenFile = Path.Combine(source.Root, "bunker.token");
        await File.WriteAllTextAsync(tokenFile, token + "\n");
        var command = string.Join(' ', Bunker("pg", "wal-push", "--server", daemon.Address.ToString(), "--token-file", tokenFile, "--repo", "main", "--host", Host).Select(Quote)) + " %p";
        await File.AppendAllTextAsync(Path.Combine(source.DataDirectory, "postgresql.conf"), $"archive_command = '{command.Replace("'", "''")}'\n");
        await PostgresCluster.ChownAsync(source.Root);
        await source.StartAsync();
        return new PgArchive(root, daemon, source, token, operatorToken);
    }

    /// <summary>The command line that runs this build's bunker: the dotnet host (by full path: PostgreSQL's children have a bare PATH) and bunker.dll.</summary>
    public static string[] Bunker(params string[] args) => [DotnetHost, Path.Combine(AppContext.BaseDirectory, "bunker.dll"), .. args];

    private static string DotnetHost { get; } = FindDotnet();

    private static string FindDotnet()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, "dotnet");
            if (File.Exists(candidate)) return new FileInfo(candidate).LinkTarget is { } target ? Path.GetFullPath(target, dir) : candidate;
        }
        throw new InvalidOperationException("dotnet not on PATH");
    }

    private static string Quote(string arg) => "'" + arg.Replace("'", "'\\''") + "'";

    /// <summary>Runs bunker as a process, as root (the restore command hands the directory to postgres).</summary>
    public Task<ToolRun> BunkerAsync(params string[] args) => BunkerCli.RunAsync(Env, args);

    public async Task<string> BaseBackupAsync(params string[] extra)
    {
        var run = await BunkerAsync(["pg", "backup", "--pg", Source.ConnectionString, "--host", Host, "--fast-checkpoint", .. extra]);
        Assert.True(run.Code == 0, "pg backup failed: " + run);
        return run.Stdout.Trim();
    }

    /// <summary>A fresh place for a restored data directory, and a port for its server; the directory itself is not created.</summary>
    public (string Root, string Data, int Port) RestoreTarget()
    {
        string root = Directory.CreateDirectory(Path.Combine(_root, $"restore-{Guid.NewGuid():N}")).FullName;
        return (root, Path.Combine(root, "data"), DaemonProcess.FreePort());
    }

    /// <summary>What the last <see cref="RestoreAndStartAsync"/> printed: which base backup it restored, among others.</summary>
    public string LastRestoreOutput { get; private set; } = "";

    /// <summary>Restores with --start into a new directory; returns a handle on the running restored server.</summary>
    public async Task<PostgresCluster> RestoreAndStartAsync(params string[] target)
    {
        var (root, data, port) = RestoreTarget();
        await PostgresCluster.ChownAsync(root);
        var run = await BunkerAsync(["pg", "restore", "--to", data, "--port", port.ToString(), "--socket-dir", root, "--host", Host, "--start", .. target]);
        var restored = await PostgresCluster.AdoptAsync(root, data, port);
        Assert.True(run.Code == 0, "pg restore failed: " + run + "\n--- restored server log ---\n" + ReadRestoreLog(data));
        LastRestoreOutput = run.Stdout;
        return restored;
    }

    public static string ReadRestoreLog(string data)
    {
        string log = Path.Combine(data, "bunker-restore.log");
        return File.Exists(log) ? File.ReadAllText(log) : "(no log)";
    }

    public async Task StopDaemonAsync() => await Daemon.DisposeAsync();

    public async Task StartDaemonAgainAsync() => Daemon = await DaemonProcess.StartOnAsync(Daemon.Data, _port, env: null, "--listen", $"127.0.0.1:{_port}");

    public async ValueTask DisposeAsync()
    {
        await Source.DisposeAsync();
        await Daemon.DisposeAsync();
        using var rm = System.Diagnostics.Process.Start("rm", ["-rf", "--one-file-system", _root]);
        await rm!.WaitForExitAsync();
    }
}
