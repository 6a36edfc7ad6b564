namespace Bunker.EndToEnd.Tests.Postgres;

/// <summary>
/// A disaster recovery that replaces the lost server: restored with --keep-archiving, it is promoted onto timeline 2
/// and archives there. The chain then crosses the timeline switch: verify shows it, and a later restore follows it.
/// </summary>
public sealed class TimelineTests : IAsyncLifetime
{
    private PgArchive _a = null!;

    public async Task InitializeAsync() => _a = await PgArchive.StartAsync();

    public async Task DisposeAsync() => await _a.DisposeAsync();

    [Fact]
    public async Task A_replacement_server_archives_on_a_new_timeline_and_the_next_restore_follows_it()
    {
        await _a.Source.QueryAsync("CREATE TABLE ledger(entry text)");
        await _a.BaseBackupAsync();
        await _a.Source.QueryAsync("INSERT INTO ledger VALUES ('on timeline 1')");
        await _a.Source.SwitchAndWaitForArchiveAsync();
        await _a.Source.StopAsync("immediate"); // the site is lost

        await using (var replacement = await _a.RestoreAndStartAsync("latest", "--keep-archiving"))
        {
            Assert.Equal("2", await replacement.QueryAsync("SELECT timeline_id FROM pg_control_checkpoint()"));
            await replacement.QueryAsync("INSERT INTO ledger VALUES ('on timeline 2')");
            await replacement.SwitchAndWaitForArchiveAsync();
            await replacement.StopAsync();
        }

        var verify = await _a.BunkerAsync("pg", "verify", "--host", PgArchive.Host, "--json");
        Assert.True(verify.Code == 0, verify.ToString());
        var report = System.Text.Json.JsonDocument.Parse(verify.Stdout).RootElement;
        var timelines = report.GetProperty("backups")[0].GetProperty("timelines").EnumerateArray().Select(t => t.GetInt32()).ToArray();
        Assert.Equal([1, 2], timelines);

        await using var again = await _a.RestoreAndStartAsync("latest");
        Assert.Equal("on timeline 1,on timeline 2", await again.QueryAsync("SELECT string_agg(entry, ',' ORDER BY entry) FROM ledger"));
        Assert.Equal("3", await again.QueryAsync("SELECT timeline_id FROM pg_control_checkpoint()"));
    }
}
