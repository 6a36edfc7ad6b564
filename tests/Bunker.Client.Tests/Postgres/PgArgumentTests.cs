using Bunker.Client;
using Bunker.Client.Postgres;
using Bunker.Tests.Shared;

namespace Bunker.Client.Tests.Postgres;

/// <summary>The PostgreSQL commands' arguments: targets, connection strings, pg_basebackup's messages, and what is refused before any call.</summary>
public sealed class PgArgumentTests
{
    private static readonly Dictionary<string, string> Env = new() { ["BUNKER_SERVER"] = "http://127.0.0.1:1", ["BUNKER_TOKEN"] = "t", ["BUNKER_REPOSITORY"] = "main" };

    [Fact]
    public void Targets_parse_to_one_kind_and_times_become_utc()
    {
        Assert.Equal(RecoveryTargetKind.Latest, RecoveryTarget.From(null, null, null).Kind);
        var time = RecoveryTarget.From("2026-11-22T14:02:59+01:00", null, null);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 13, 2, 59, TimeSpan.Zero), time.Time);
        Assert.Equal(TimeSpan.Zero, time.Time.Offset);
        Assert.Equal("0/2000100", RecoveryTarget.From(null, "0/2000100", null).Lsn.ToString());
        Assert.Equal("before-upgrade", RecoveryTarget.From(null, null, "before-upgrade").Name);
    }

    [Theory]
    [InlineData("yesterday", null, null, "not a time")]
    [InlineData(null, "0/xyz", null, "not a WAL position")]
    [InlineData(null, null, "", "restore point name")]
    [InlineData("2026-11-22T14:02:59Z", "0/1", null, "at most one")]
    public void Bad_targets_are_usage_errors(string? time, string? lsn, string? name, string message)
    {
        var e = Assert.Throws<UsageException>(() => RecoveryTarget.From(time, lsn, name));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Positions_are_read_from_pg_basebackups_messages_and_their_absence_fails()
    {
        const string stderr = "pg_basebackup: initiating base backup, waiting for checkpoint to complete\n" +
            "pg_basebackup: write-ahead log start point: 0/2000028 on timeline 3\npg_basebackup: write-ahead log end point: 1A/B0000100\n";
        var (timeline, start, stop) = PgBaseBackup.ParsePositions(stderr);
        Assert.Equal(3u, timeline);
        Assert.Equal("0/2000028", start.ToString());
        Assert.Equal("1A/B0000100", stop.ToString());
        Assert.Throws<CommandFailedException>(() => PgBaseBackup.ParsePositions("pg_basebackup: error: connection refused"));
    }

    [Fact]
    public void The_connection_comes_from_pg_or_from_the_running_servers_pid_file()
    {
        Assert.Equal("host=/run/pg port=5433 dbname=app", PgConnection.Resolve("host=/run/pg port=5433 dbname=app", null));
        Assert.Equal("host=/run/pg dbname=postgres", PgConnection.Resolve("host=/run/pg", null));
        Assert.Equal("postgresql://u@h/db", PgConnection.Resolve("postgresql://u@h/db", null));
        using var dir = FileTrees.Scratch("bunker-pgpid");
        File.WriteAllLines(dir.Combine("postmaster.pid"), ["4242", dir.Path, "1700000000", "5499", "/var/run/post'gres", "*", "1234", "ready"]);
        // The data directory's owner (here: whoever runs the test) is the user, unless PGUSER names one.
        string owner = Environment.GetEnvironmentVariable("PGUSER") is { Length: > 0 } ? "" : $" user='{Environment.UserName}'";
        Assert.Equal(@"host='/var/run/post\'gres' port=5499 dbname=postgres" + owner, PgConnection.Resolve(null, dir.Path));
        File.WriteAllLines(dir.Combine("postmaster.pid"), ["4242", dir.Path]);
        Assert.Throws<CommandFailedException>(() => PgConnection.Resolve(null, dir.Path));
        Assert.Throws<CommandFailedException>(() => PgConnection.Resolve(null, dir.Combine("nope")));
    }

    [Theory]
    [InlineData(2, "pg", "restore", "--to", "/nonexistent-parent/x/data", "--target-time", "then")]
    [InlineData(2, "pg", "restore", "--to", "/var/tmp/x", "latest", "--target-lsn", "0/1")]
    [InlineData(2, "pg", "restore", "--to", "/var/tmp/x", "earliest")]
    [InlineData(2, "pg", "restore", "--to", "/var/tmp/x", "--parallel", "0")]
    [InlineData(2, "pg", "restore")]
    [InlineData(2, "pg", "wal-push", "/var/tmp/not-a-wal-name")]
    [InlineData(2, "pg", "wal-push", "/var/tmp/000000010000000000000001/../passwd")]
    [InlineData(2, "pg", "forget", "--keep-last", "0")]
    [InlineData(2, "pg", "backup", "--wal-method", "stream")]
    public async Task Bad_arguments_are_refused_before_any_call(int code, params string[] args)
    {
        var run = await InProcessCli.RunAsync(Env, args);
        Assert.True(run.Code == code, run.ToString());
        Assert.StartsWith("bunker: ", run.Stderr);
    }

    [Theory]
    [InlineData("0000000100000000000000AA/x")]
    [InlineData("../000000010000000000000001")]
    [InlineData("RECOVERYHISTORY")]
    public async Task Wal_fetch_refuses_names_that_are_not_wal_files_with_the_code_that_stops_recovery(string name)
    {
        var run = await InProcessCli.RunAsync(Env, "pg", "wal-fetch", "--system-id", "7", name, "/var/tmp/unused");
        Assert.Equal(ExitCodes.StopRecovery, run.Code);
        Assert.Contains("not a WAL file name", run.Stderr);
    }

    [Fact]
    public async Task Wal_fetch_that_cannot_reach_the_server_stops_recovery()
    {
        var run = await InProcessCli.RunAsync(Env, "pg", "wal-fetch", "--retry-for", "0", "--system-id", "7", "000000010000000000000001", "/var/tmp/unused");
        Assert.Equal(ExitCodes.StopRecovery, run.Code);
        Assert.Contains("UNAVAILABLE", run.Stderr);
        var badRetry = await InProcessCli.RunAsync(Env, "pg", "wal-fetch", "--retry-for", "soon", "--system-id", "7", "000000010000000000000001", "/var/tmp/unused");
        Assert.Equal(ExitCodes.StopRecovery, badRetry.Code);
    }
}
