namespace Bunker.EndToEnd.Tests.Postgres;

/// <summary>
/// The classic disaster: a table dropped after a marker was committed at T. A restore to T on a new port holds the
/// marker and the table, and nothing committed after T; so does a restore to the LSN of T, and both start from the
/// first base backup, since the second ended after T. A restore to a named restore point taken later starts from the
/// second; a restore to 'latest' holds everything archived.
/// </summary>
public sealed class PointInTimeTests : IClassFixture<PointInTimeTests.Scenario>
{
    private readonly Scenario _s;

    public PointInTimeTests(Scenario scenario) => _s = scenario;

    /// <summary>pgbench, a base backup, a workload, the marker at T, rows after T, the drop, and every segment archived.</summary>
    public sealed class Scenario : IAsyncLifetime
    {
        public PgArchive Archive { get; private set; } = null!;
        public string BackupId { get; private set; } = null!;
        public string SecondBackupId { get; private set; } = null!;
        public string T { get; private set; } = null!;
        public string LsnAtT { get; private set; } = null!;
        public long HistoryRowsAtT { get; private set; }
        public long AccountsBalanceAtT { get; private set; }

        public async Task InitializeAsync()
        {
            Archive = await PgArchive.StartAsync();
            var db = Archive.Source;
            await db.PgbenchAsync("-i", "-s", "1", "-q");
            BackupId = await Archive.BaseBackupAsync();
            await db.PgbenchAsync("-t", "300", "-c", "2", "-n");
            await db.QueryAsync("CREATE TABLE marker(note text, at timestamptz DEFAULT clock_timestamp()); INSERT INTO marker(note) VALUES ('before T')");
            LsnAtT = await db.QueryAsync("SELECT pg_current_wal_insert_lsn()");
            HistoryRowsAtT = long.Parse(await db.QueryAsync("SELECT count(*) FROM pgbench_history"));
            AccountsBalanceAtT = long.Parse(await db.QueryAsync("SELECT sum(abalance) FROM pgbench_accounts"));
            // T falls strictly between the marker's commit and the next one, with a margin on each side.
            await Task.Delay(1100);
            T = await db.QueryAsync("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
            await Task.Delay(1100);
            await db.QueryAsync("INSERT INTO marker(note) VALUES ('after T')");
            SecondBackupId = await Archive.BaseBackupAsync();
            await db.PgbenchAsync("-t", "100", "-c", "1", "-n");
            await db.QueryAsync("SELECT pg_create_restore_point('before-drop')");
            await db.QueryAsync("INSERT INTO marker(note) VALUES ('after the restore point')");
            await db.QueryAsync("DROP TABLE pgbench_history");
            await db.SwitchAndWaitForArchiveAsync();
        }

        public async Task DisposeAsync() => await Archive.DisposeAsync();
    }

    [Fact]
    public async Task A_restore_to_T_on_a_new_port_holds_the_marker_and_the_dropped_table_and_nothing_after_T()
    {
        await using var restored = await _s.Archive.RestoreAndStartAsync("--target-time", _s.T);
        Assert.Contains($"restored base backup {_s.BackupId[..12]}", _s.Archive.LastRestoreOutput);
        Assert.Equal("before T", await restored.QueryAsync("SELECT string_agg(note, ',') FROM marker"));
        Assert.Equal(_s.HistoryRowsAtT.ToString(), await restored.QueryAsync("SELECT count(*) FROM pgbench_history"));
        Assert.Equal(_s.AccountsBalanceAtT.ToString(), await restored.QueryAsync("SELECT sum(abalance) FROM pgbench_accounts"));
        // Promoted: it takes writes, on a new timeline, while the source keeps running.
        Assert.Equal("f", await restored.QueryAsync("SELECT pg_is_in_recovery()"));
        await restored.QueryAsync("INSERT INTO marker(note) VALUES ('written after the restore')");
        Assert.Equal("f", await _s.Archive.Source.QueryAsync("SELECT to_regclass('pgbench_history') IS NOT NULL"));
        // The copy does not archive into the source's WAL.
        Assert.Equal("off", await restored.QueryAsync("SHOW archive_mode"));
    }

    [Fact]
    public async Task A_restore_to_the_lsn_of_T_stops_there_too()
    {
        await using var restored = await _s.Archive.RestoreAndStartAsync("--target-lsn", _s.LsnAtT);
        Assert.Contains($"restored base backup {_s.BackupId[..12]}", _s.Archive.LastRestoreOutput);
        Assert.Equal("before T", await restored.QueryAsync("SELECT string_agg(note, ',') FROM marker"));
        Assert.Equal(_s.HistoryRowsAtT.ToString(), await restored.QueryAsync("SELECT count(*) FROM pgbench_history"));
    }

    [Fact]
    public async Task A_restore_to_a_named_restore_point_stops_at_it_from_the_newest_backup()
    {
        await using var restored = await _s.Archive.RestoreAndStartAsync("--target-name", "before-drop");
        Assert.Contains($"restored base backup {_s.SecondBackupId[..12]}", _s.Archive.LastRestoreOutput);
        Assert.Equal("before T,after T", await restored.QueryAsync("SELECT string_agg(note, ',' ORDER BY at) FROM marker"));
        Assert.Equal("t", await restored.QueryAsync("SELECT to_regclass('pgbench_history') IS NOT NULL"));
    }

    [Fact]
    public async Task A_restore_to_latest_holds_everything_that_was_archived()
    {
        await using var restored = await _s.Archive.RestoreAndStartAsync("latest");
        Assert.Contains($"restored base backup {_s.SecondBackupId[..12]}", _s.Archive.LastRestoreOutput);
        Assert.Equal("before T,after T,after the restore point", await restored.QueryAsync("SELECT string_agg(note, ',' ORDER BY at) FROM marker"));
        Assert.Equal("f", await restored.QueryAsync("SELECT to_regclass('pgbench_history') IS NOT NULL"));
        Assert.Equal(await _s.Archive.Source.QueryAsync("SELECT sum(abalance) FROM pgbench_accounts"),
            await restored.QueryAsync("SELECT sum(abalance) FROM pgbench_accounts"));
    }

    [Theory]
    [InlineData("--target-time", "2001-01-01T00:00:00Z", "before the end of the first base backup")]
    [InlineData("--target-time", "2999-01-01T00:00:00Z", "after the newest archived WAL")]
    [InlineData("--target-lsn", "0/10", "before the end of the first base backup")]
    [InlineData("--target-lsn", "FFFF/0", "beyond the archived WAL")]
    public async Task A_target_outside_the_held_WAL_is_refused_before_anything_is_written(string option, string value, string reason)
    {
        var (_, data, port) = _s.Archive.RestoreTarget();
        var run = await _s.Archive.BunkerAsync("pg", "restore", "--to", data, "--port", port.ToString(), "--host", PgArchive.Host, option, value);
        Assert.Equal(1, run.Code);
        Assert.Contains(reason, run.Stderr);
        Assert.False(Directory.Exists(data), "nothing may be written for a refused target");
    }

    [Fact]
    public async Task Backups_and_verify_show_the_restorable_window_through_the_newest_segment()
    {
        var backups = await _s.Archive.BunkerAsync("pg", "backups", "--host", PgArchive.Host, "--json");
        Assert.True(backups.Code == 0, backups.ToString());
        var list = System.Text.Json.JsonDocument.Parse(backups.Stdout).RootElement;
        var first = list.EnumerateArray().First(b => b.GetProperty("id").GetString() == _s.BackupId);
        Assert.Equal("ok", first.GetProperty("state").GetString());
        Assert.Equal(1, first.GetProperty("timeline").GetInt32());
        var to = first.GetProperty("restorable_to_time").GetString()!;
        Assert.True(DateTimeOffset.Parse(to) > DateTimeOffset.Parse(_s.T), $"window ends {to}, before T {_s.T}");

        var verify = await _s.Archive.BunkerAsync("pg", "verify", "--host", PgArchive.Host);
        Assert.True(verify.Code == 0, verify.ToString());
        Assert.Contains($"base backup {_s.BackupId[..12]}", verify.Stdout);
        Assert.Contains(": ok", verify.Stdout);
    }

    [Fact]
    public async Task Wal_fetch_of_a_file_that_is_not_archived_exits_1_without_a_word()
    {
        string dir = _s.Archive.RestoreTarget().Root;
        string system = await _s.Archive.Source.QueryAsync("SELECT system_identifier FROM pg_control_system()");
        var missing = await _s.Archive.BunkerAsync("pg", "wal-fetch", "--host", PgArchive.Host, "--system-id", system, "0000000900000000000000AA", Path.Combine(dir, "x"));
        Assert.Equal(1, missing.Code);
        Assert.Equal("", missing.Stderr);
        Assert.Equal("", missing.Stdout);
        Assert.False(File.Exists(Path.Combine(dir, "x")));

        var history = await _s.Archive.BunkerAsync("pg", "wal-fetch", "--host", PgArchive.Host, "--system-id", system, "00000002.history", Path.Combine(dir, "h"));
        Assert.Equal(1, history.Code);

        string first = await _s.Archive.Source.QueryAsync("SELECT pg_walfile_name(pg_current_wal_lsn() - 16777216 * 2)");
        var found = await _s.Archive.BunkerAsync("pg", "wal-fetch", "--host", PgArchive.Host, "--system-id", system, first, Path.Combine(dir, "seg"));
        Assert.True(found.Code == 0, found.ToString());
        Assert.Equal(16L << 20, new FileInfo(Path.Combine(dir, "seg")).Length);
    }
}
