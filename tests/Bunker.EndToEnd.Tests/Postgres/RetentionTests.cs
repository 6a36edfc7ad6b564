using Bunker.Tests.Shared;

namespace Bunker.EndToEnd.Tests.Postgres;

/// <summary>Forgetting base backups makes the WAL older than the oldest remaining one collectable, and never the WAL a remaining backup needs.</summary>
public sealed class RetentionTests : IAsyncLifetime
{
    private PgArchive _a = null!;

    public async Task InitializeAsync() => _a = await PgArchive.StartAsync();

    public async Task DisposeAsync() => await _a.DisposeAsync();

    private async Task<string[]> ArchivedWalAsync()
    {
        var list = await _a.BunkerAsync("snapshots", "--kind", "postgres-wal", "--json");
        Assert.True(list.Code == 0, list.ToString());
        return System.Text.Json.JsonDocument.Parse(list.Stdout).RootElement.EnumerateArray()
            .Select(s => s.GetProperty("sourceId").GetString()!.Split('/')[1]).Order(StringComparer.Ordinal).ToArray();
    }

    [Fact]
    public async Task Forget_keeps_the_newest_backups_and_the_wal_they_need_and_removes_the_rest()
    {
        await _a.Source.QueryAsync("CREATE TABLE t(n int)");
        string first = await _a.BaseBackupAsync();
        for (int i = 0; i < 3; i++)
        {
            await _a.Source.QueryAsync($"INSERT INTO t VALUES ({i})");
            await _a.Source.SwitchAndWaitForArchiveAsync();
        }
        string second = await _a.BaseBackupAsync();
        string secondStart = await _a.Source.QueryAsync("SELECT pg_walfile_name(pg_current_wal_lsn())");
        await _a.Source.QueryAsync("INSERT INTO t VALUES (3)");
        await _a.Source.SwitchAndWaitForArchiveAsync();
        var before = await ArchivedWalAsync();
        Assert.Contains(before, name => string.CompareOrdinal(name[..Math.Min(24, name.Length)], secondStart) < 0 && !name.EndsWith(".history"));

        // A backup token may not delete: the archive is append-only for the hosts that write it.
        var denied = await _a.BunkerAsync("pg", "forget", "--keep-last", "1", "--host", PgArchive.Host);
        Assert.Equal(1, denied.Code);
        Assert.Contains("PERMISSION_DENIED", denied.Stderr);

        var dry = await BunkerCli.RunAsync(_a.OperatorEnv, "pg", "forget", "--keep-last", "1", "--host", PgArchive.Host, "--dry-run");
        Assert.True(dry.Code == 0, dry.ToString());
        Assert.Contains($"would remove base backup {first[..12]}", dry.Stdout);
        Assert.Equal(before, await ArchivedWalAsync());

        var forget = await BunkerCli.RunAsync(_a.OperatorEnv, "pg", "forget", "--keep-last", "1", "--host", PgArchive.Host);
        Assert.True(forget.Code == 0, forget.ToString());
        var after = await ArchivedWalAsync();
        Assert.NotEmpty(after);
        // Every segment the remaining backup needs is kept; every older one is gone.
        foreach (var name in before)
        {
            bool older = string.CompareOrdinal(name[..24], secondStart) < 0 && name.Length >= 24 && !name.EndsWith(".history");
            Assert.True(older != after.Contains(name), $"{name}: older than {secondStart}: {older}, kept: {after.Contains(name)}");
        }
        var backups = System.Text.Json.JsonDocument.Parse((await _a.BunkerAsync("pg", "backups", "--host", PgArchive.Host, "--json")).Stdout).RootElement;
        Assert.Equal([second], backups.EnumerateArray().Select(b => b.GetProperty("id").GetString()!).ToArray());
        var verify = await _a.BunkerAsync("pg", "verify", "--host", PgArchive.Host);
        Assert.True(verify.Code == 0, verify.ToString());

        await using var restored = await _a.RestoreAndStartAsync("latest");
        Assert.Equal("0,1,2,3", await restored.QueryAsync("SELECT string_agg(n::text, ',' ORDER BY n) FROM t"));
    }
}
