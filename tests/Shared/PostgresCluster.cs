using System.Globalization;

namespace Bunker.Tests.Shared;

/// <summary>
/// A private PostgreSQL 15 cluster for one test: its own data directory, port and socket directory under /var/tmp.
/// initdb and the server refuse to run as root, so both run as the <c>postgres</c> user through runuser; the tests
/// themselves run as root. Stopped (immediately) and removed on dispose.
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    public const string BinDirectory = "/usr/lib/postgresql/15/bin";
    public const string OsUser = "postgres";

    private PostgresCluster(string root, string dataDirectory, int port)
    {
        Root = root;
        DataDirectory = dataDirectory;
        Port = port;
    }

    /// <summary>The scratch directory holding the data directory, the socket and the log; owned by postgres.</summary>
    public string Root { get; }
    public string DataDirectory { get; }
    public int Port { get; }
    public string SocketDirectory => Root;
    public string LogFile => Path.Combine(Root, "server.log");
    /// <summary>A libpq connection string for this cluster, as an operator would pass it with --pg.</summary>
    public string ConnectionString => $"host={SocketDirectory} port={Port} user=postgres dbname=postgres";

    public static string Tool(string name) => Path.Combine(BinDirectory, name);

    /// <summary>Runs initdb into a fresh scratch directory and appends <paramref name="settings"/> to postgresql.conf; does not start it.</summary>
    public static async Task<PostgresCluster> InitAsync(string prefix, IDictionary<string, string>? settings = null)
    {
        string root = Directory.CreateDirectory(Path.Combine("/var/tmp", $"{prefix}-{Guid.NewGuid():N}")).FullName;
        await ChownAsync(root);
        var cluster = new PostgresCluster(root, Path.Combine(root, "data"), DaemonProcess.FreePort());
        var init = await AsPostgresAsync(Tool("initdb"), "-D", cluster.DataDirectory, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale", "C");
        Assert.True(init.Code == 0, "initdb failed: " + init);
        var conf = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["port"] = cluster.Port.ToString(CultureInfo.InvariantCulture),
            ["unix_socket_directories"] = $"'{root}'",
            ["listen_addresses"] = "''",
            ["fsync"] = "off",
            ["wal_level"] = "replica",
            ["max_wal_senders"] = "4",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) conf[key] = value;
        await File.AppendAllLinesAsync(Path.Combine(cluster.DataDirectory, "postgresql.conf"), conf.Select(kv => $"{kv.Key} = {kv.Value}"));
        return cluster;
    }

    /// <summary>Another cluster's handle on a data directory that a restore produced; it is started with <see cref="StartAsync"/>.</summary>
    public static async Task<PostgresCluster> AdoptAsync(string root, string dataDirectory, int port)
    {
        await ChownAsync(root);
        return new PostgresCluster(root, dataDirectory, port);
    }

    public async Task StartAsync()
    {
        var run = await AsPostgresAsync(Tool("pg_ctl"), "-D", DataDirectory, "-l", LogFile, "-w", "-t", "120",
            "-o", $"-p {Port} -k {SocketDirectory} -c listen_addresses=''", "start");
        Assert.True(run.Code == 0, "pg_ctl start failed: " + run + "\n--- server log ---\n" + ReadLog());
    }

    public async Task StopAsync(string mode = "fast")
    {
        await AsPostgresAsync(Tool("pg_ctl"), "-D", DataDirectory, "-m", mode, "-w", "-t", "120", "stop");
    }

    /// <summary>Runs SQL through psql; returns the unaligned, tuples-only output, trimmed. Fails the test on an error.</summary>
    public async Task<string> QueryAsync(string sql, string database = "postgres")
    {
        var run = await TryQueryAsync(sql, database);
        Assert.True(run.Code == 0, $"psql failed on {sql}: {run}");
        return run.Stdout.Trim();
    }

    public Task<ToolRun> TryQueryAsync(string sql, string database = "postgres") =>
        AsPostgresAsync(Tool("psql"), "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-h", SocketDirectory, "-p", Port.ToString(CultureInfo.InvariantCulture),
            "-U", "postgres", "-d", database, "-c", sql);

    /// <summary>Runs pgbench against this cluster with the given arguments (for example "-i", "-s", "2").</summary>
    public async Task PgbenchAsync(params string[] args)
    {
        var run = await AsPostgresAsync(Tool("pgbench"), ["-h", SocketDirectory, "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", .. args, "postgres"]);
        Assert.True(run.Code == 0, "pgbench failed: " + run);
    }

    /// <summary>Switches to a new WAL segment and waits until the archiver has archived the one it closed.</summary>
    public async Task SwitchAndWaitForArchiveAsync(TimeSpan? timeout = null)
    {
        // A switch on an idle segment returns the current position without closing anything: write first.
        await QueryAsync("CREATE TABLE IF NOT EXISTS bunker_switch(x int); INSERT INTO bunker_switch VALUES (1);");
        string closed = await QueryAsync("SELECT pg_walfile_name(pg_switch_wal())");
        await WaitForArchivedAsync(closed, timeout ?? TimeSpan.FromSeconds(90));
    }

    /// <summary>Waits until pg_stat_archiver reports <paramref name="walFile"/> (or a later one) archived.</summary>
    public async Task WaitForArchivedAsync(string walFile, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            string last = await QueryAsync("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
            if (last.Length == 24 && string.CompareOrdinal(last, walFile) >= 0) return;
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"{walFile} was not archived in {timeout}; last archived: '{last}'; archiver: " +
                    await QueryAsync("SELECT failed_count, last_failed_wal FROM pg_stat_archiver") + "\n--- server log ---\n" + ReadLog());
            await Task.Delay(100);
        }
    }

    public string ReadLog() => File.Exists(LogFile) ? File.ReadAllText(LogFile) : "(no log)";

    public async ValueTask DisposeAsync()
    {
        if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid"))) await StopAsync("immediate");
        using var rm = System.Diagnostics.Process.Start("rm", ["-rf", "--one-file-system", Root]);
        await rm!.WaitForExitAsync();
    }

    /// <summary>Runs a PostgreSQL tool as the postgres user.</summary>
    public static Task<ToolRun> AsPostgresAsync(string tool, params string[] args) =>
        ExternalTools.RunSeparatelyAsync("runuser", ["-u", OsUser, "--", tool, .. args], "/", TimeSpan.FromMinutes(5),
            new Dictionary<string, string?> { ["LC_ALL"] = "C", ["PGTZ"] = "UTC" });

    /// <summary>Hands a directory (recursively) to the postgres user, which must own a data directory and write its socket.</summary>
    public static async Task ChownAsync(string path)
    {
        var run = await ExternalTools.RunSeparatelyAsync("chown", ["-R", $"{OsUser}:{OsUser}", path], "/", TimeSpan.FromMinutes(1));
        Assert.True(run.Code == 0, "chown failed: " + run);
    }
}
