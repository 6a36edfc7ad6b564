using Bunker.Tests.Shared;

namespace Bunker.EndToEnd.Tests.Postgres;

/// <summary>
/// What goes wrong around archive_command in real life: the same segment pushed twice or at once, a different file
/// under an archived name, and bunkerd down while PostgreSQL archives. Nothing may be lost, and a conflict is loud.
/// </summary>
public sealed class ArchiverMisuseTests : IAsyncLifetime
{
    private PgArchive _a = null!;
    private ScratchDirectory _scratch = null!;

    public async Task InitializeAsync()
    {
        _a = await PgArchive.StartAsync();
        _scratch = FileTrees.Scratch("bunker-walpush");
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        _scratch.Dispose();
    }

    private async Task<int> WalSnapshotCountAsync(string name)
    {
        var list = await _a.BunkerAsync("snapshots", "--kind", "postgres-wal", "--json");
        Assert.True(list.Code == 0, list.ToString());
        return System.Text.Json.JsonDocument.Parse(list.Stdout).RootElement.EnumerateArray()
            .Count(s => s.GetProperty("sourceId").GetString()!.EndsWith("/" + name, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Concurrent_pushes_of_one_segment_all_succeed_and_keep_one_copy_and_different_content_is_refused()
    {
        await _a.Source.QueryAsync("CREATE TABLE t AS SELECT generate_series(1, 50000) AS n");
        string name = await _a.Source.QueryAsync("SELECT pg_walfile_name(pg_current_wal_lsn())");
        await _a.Source.SwitchAndWaitForArchiveAsync();
        // A copy of the real, archived segment, pushed again by eight archivers at once.
        string copy = Path.Combine(_scratch.Path, name);
        File.Copy(Path.Combine(_a.Source.DataDirectory, "pg_wal", name), copy);
        var pushes = Enumerable.Range(0, 8).Select(_ => _a.BunkerAsync("pg", "wal-push", "--host", PgArchive.Host, "--pgdata", _a.Source.DataDirectory, copy)).ToArray();
        foreach (var push in await Task.WhenAll(pushes))
            Assert.True(push.Code == 0, push.ToString());
        Assert.Equal(1, await WalSnapshotCountAsync(name));

        // The same name with one byte changed past the header: refused, loudly, and the archived copy stays.
        var bytes = await File.ReadAllBytesAsync(copy);
        bytes[100_000] ^= 0xFF;
        await File.WriteAllBytesAsync(copy, bytes);
        var forged = await _a.BunkerAsync("pg", "wal-push", "--host", PgArchive.Host, "--pgdata", _a.Source.DataDirectory, copy);
        Assert.Equal(1, forged.Code);
        Assert.Contains("already archived", forged.Stderr);
        Assert.Contains("different content", forged.Stderr);
        Assert.Equal(1, await WalSnapshotCountAsync(name));
        string fetched = Path.Combine(_scratch.Path, "fetched");
        var fetch = await _a.BunkerAsync("pg", "wal-fetch", "--host", PgArchive.Host, "--pgdata", _a.Source.DataDirectory, name, fetched);
        Assert.True(fetch.Code == 0, fetch.ToString());
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(_a.Source.DataDirectory, "pg_wal", name)), await File.ReadAllBytesAsync(fetched));
    }

    [Fact]
    public async Task Files_that_are_not_wal_or_not_this_clusters_are_refused()
    {
        string junk = Path.Combine(_scratch.Path, "000000010000000000000042");
        await File.WriteAllBytesAsync(junk, new byte[16 << 20]);
        var notWal = await _a.BunkerAsync("pg", "wal-push", "--host", PgArchive.Host, "--pgdata", _a.Source.DataDirectory, junk);
        Assert.Equal(1, notWal.Code);
        Assert.Contains("not a WAL segment", notWal.Stderr);

        string badName = Path.Combine(_scratch.Path, "../../etc/passwd");
        var refused = await _a.BunkerAsync("pg", "wal-push", "--host", PgArchive.Host, "--pgdata", _a.Source.DataDirectory, badName);
        Assert.Equal(2, refused.Code);
        Assert.Contains("not a WAL file name", refused.Stderr);

        var history = Path.Combine(_scratch.Path, "00000002.history");
        await File.WriteAllTextAsync(history, "1\t0/3000000\tno recovery target specified\n");
        var noCluster = await _a.BunkerAsync("pg", "wal-push", "--host", PgArchive.Host, history);
        Assert.Equal(2, noCluster.Code);
        Assert.Contains("--pgdata", noCluster.Stderr);
        var withCluster = await _a.BunkerAsync("pg", "wal-push", "--host", PgArchive.Host, "--pgdata", _a.Source.DataDirectory, history);
        Assert.True(withCluster.Code == 0, withCluster.ToString());
    }

    [Fact]
    public async Task While_bunkerd_is_down_archiving_fails_and_postgres_retries_and_nothing_is_lost()
    {
        await _a.Source.PgbenchAsync("-i", "-s", "1", "-q");
        await _a.BaseBackupAsync();
        await _a.Source.SwitchAndWaitForArchiveAsync();
        string archived = await _a.Source.QueryAsync("SELECT last_archived_wal FROM pg_stat_archiver");
        await _a.StopDaemonAsync();

        await _a.Source.QueryAsync("CREATE TABLE during_outage AS SELECT generate_series(1, 1000) AS n");
        string stuck = await _a.Source.QueryAsync("SELECT pg_walfile_name(pg_switch_wal())");
        // PostgreSQL tries, fails, and keeps the segment until it is archived.
        for (int i = 0; i < 300 && await _a.Source.QueryAsync("SELECT failed_count FROM pg_stat_archiver") == "0"; i++) await Task.Delay(100);
        Assert.NotEqual("0", await _a.Source.QueryAsync("SELECT failed_count FROM pg_stat_archiver"));
        Assert.True(File.Exists(Path.Combine(_a.Source.DataDirectory, "pg_wal", "archive_status", stuck + ".ready")));

        var fetchWhileDown = await _a.BunkerAsync("pg", "wal-fetch", "--retry-for", "2s", "--host", PgArchive.Host, "--pgdata", _a.Source.DataDirectory, stuck, Path.Combine(_scratch.Path, "x"));
        Assert.Equal(126, fetchWhileDown.Code);

        // A fetch that starts while bunkerd is down keeps asking, and gets its file once bunkerd is back.
        var patientFetch = _a.BunkerAsync("pg", "wal-fetch", "--retry-for", "60s", "--host", PgArchive.Host, "--pgdata", _a.Source.DataDirectory, archived, Path.Combine(_scratch.Path, "late"));
        await Task.Delay(1500);
        Assert.False(patientFetch.IsCompleted);
        await _a.StartDaemonAgainAsync();
        var fetched = await patientFetch;
        Assert.True(fetched.Code == 0, fetched.ToString());
        Assert.Equal(16L << 20, new FileInfo(Path.Combine(_scratch.Path, "late")).Length);
        await _a.Source.QueryAsync("INSERT INTO during_outage VALUES (1001)");
        await _a.Source.SwitchAndWaitForArchiveAsync();
        await using var restored = await _a.RestoreAndStartAsync("latest");
        Assert.Equal("1001", await restored.QueryAsync("SELECT count(*) FROM during_outage"));
    }
}
