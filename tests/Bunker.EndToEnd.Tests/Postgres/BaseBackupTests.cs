using System.Text.Json;

namespace Bunker.EndToEnd.Tests.Postgres;

/// <summary>What a base backup records, where its connection comes from, and what it refuses.</summary>
public sealed class BaseBackupTests : IAsyncLifetime
{
    private PgArchive _a = null!;

    public async Task InitializeAsync() => _a = await PgArchive.StartAsync();

    public async Task DisposeAsync() => await _a.DisposeAsync();

    [Fact]
    public async Task A_backup_found_through_pgdata_records_the_clusters_identity_and_its_wal_positions()
    {
        // Only --pgdata: the socket and port come from the running server's postmaster.pid, the user from the data
        // directory's owner (postgres), though bunker runs as root, as a cron job would.
        var env = new Dictionary<string, string>(_a.Env);
        env.Remove("PGUSER");
        var run = await BunkerCli.RunAsync(env, "pg", "backup", "--pgdata", _a.Source.DataDirectory,
            "--host", PgArchive.Host, "--fast-checkpoint", "--tag", "nightly", "--json");
        Assert.True(run.Code == 0, run.ToString());
        var backup = JsonDocument.Parse(run.Stdout).RootElement;
        string system = await _a.Source.QueryAsync("SELECT system_identifier FROM pg_control_system()");
        Assert.Equal(system, backup.GetProperty("system_identifier").GetString());
        Assert.Equal(1, backup.GetProperty("timeline").GetInt32());
        var start = backup.GetProperty("start_lsn").GetString()!;
        var stop = backup.GetProperty("stop_lsn").GetString()!;
        Assert.Equal("t", await _a.Source.QueryAsync($"SELECT '{start}'::pg_lsn < '{stop}'::pg_lsn AND '{stop}'::pg_lsn <= pg_current_wal_lsn()"));

        var listed = await _a.BunkerAsync("snapshots", "--kind", "postgres", "--tag", "nightly", "--json");
        var snapshot = JsonDocument.Parse(listed.Stdout).RootElement.EnumerateArray().Single();
        Assert.Equal(system, snapshot.GetProperty("sourceId").GetString());
        Assert.Equal(_a.Source.DataDirectory, snapshot.GetProperty("paths")[0].GetString());
        // The WAL files are snapshots too, but the plain listing leaves them out.
        var all = JsonDocument.Parse((await _a.BunkerAsync("snapshots", "--json")).Stdout).RootElement;
        Assert.All(all.EnumerateArray(), s => Assert.Equal("postgres", s.GetProperty("kind").GetString()));
    }

    [Fact]
    public async Task A_cluster_with_a_tablespace_outside_the_data_directory_is_refused_before_anything_is_sent()
    {
        string location = Path.Combine(_a.Source.Root, "ts");
        Directory.CreateDirectory(location);
        await Bunker.Tests.Shared.PostgresCluster.ChownAsync(location);
        await _a.Source.QueryAsync($"CREATE TABLESPACE elsewhere LOCATION '{location}'");
        var run = await _a.BunkerAsync("pg", "backup", "--pg", _a.Source.ConnectionString, "--host", PgArchive.Host);
        Assert.Equal(1, run.Code);
        Assert.Contains("tablespaces outside the data directory (elsewhere at " + location + ")", run.Stderr);
        Assert.Equal("[]", (await _a.BunkerAsync("snapshots", "--kind", "postgres", "--json")).Stdout.Trim());
    }

    [Fact]
    public async Task A_server_that_cannot_be_reached_is_a_clear_failure()
    {
        var run = await _a.BunkerAsync("pg", "backup", "--pg", $"host={_a.Source.SocketDirectory} port=1 user=postgres", "--host", PgArchive.Host);
        Assert.Equal(1, run.Code);
        Assert.Contains("psql failed", run.Stderr);
        Assert.Contains("connection", run.Stderr);
        var pgdata = await _a.BunkerAsync("pg", "backup", "--pgdata", _a.Source.Root, "--host", PgArchive.Host);
        Assert.Equal(1, pgdata.Code);
        Assert.Contains("no server is running on", pgdata.Stderr);
    }
}
