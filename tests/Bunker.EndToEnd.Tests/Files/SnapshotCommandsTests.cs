using System.Text.Json;
using Bunker.Protocol.V1;
using Bunker.Tests.Shared;

namespace Bunker.EndToEnd.Tests.Files;

/// <summary><c>bunker snapshots</c> and the SNAPSHOT argument every read command takes: ids, prefixes, <c>latest</c> and their errors.</summary>
public sealed class SnapshotCommandsTests(FilesRepository repo) : IClassFixture<FilesRepository>
{
    private static string Hex(SnapshotInfo snapshot) => Convert.ToHexStringLower(snapshot.Id.Span);

    private async Task<string[]> ShortIdsAsync(params string[] args)
    {
        var run = await InProcessCli.OkAsync(repo.Env, ["snapshots", .. args]);
        // Not a terminal: tab-separated rows without a header, the id first.
        return [.. run.Lines.Select(line => line.Split('\t')[0])];
    }

    [Fact]
    public async Task Snapshots_lists_oldest_first_and_filters_by_host_tag_path_and_kind()
    {
        string[] all = [.. new[] { repo.First, repo.Second, repo.Home, repo.Vm }.Select(s => Hex(s)[..8])];
        Assert.Equal(all, await ShortIdsAsync());
        Assert.Equal([all[2]], await ShortIdsAsync("--host", "host-b"));
        Assert.Equal([all[0], all[1]], await ShortIdsAsync("--tag", "daily"));
        Assert.Empty(await ShortIdsAsync("--tag", "daily", "--tag", "weekly"));
        Assert.Equal([all[0], all[1]], await ShortIdsAsync("--path", "/srv/"));
        Assert.Empty(await ShortIdsAsync("--path", "/srv", "--path", "/home"));
        Assert.Equal([all[3]], await ShortIdsAsync("--kind", "vm"));

        var row = (await InProcessCli.OkAsync(repo.Env, "snapshots", "--host", "host-b")).Lines.Single().Split('\t');
        var time = DateTimeOffset.UnixEpoch.AddTicks(repo.Home.TimeUnixNanos / 100).ToLocalTime();
        Assert.Equal([all[2], time.ToString("yyyy-MM-dd'T'HH:mm:sszzz"), "host-b", "files", "weekly", "/home"], row[..6]);
        Assert.EndsWith(" B", row[6]);
    }

    [Fact]
    public async Task Snapshots_json_is_an_array_with_full_ids_and_exact_sizes()
    {
        var run = await InProcessCli.OkAsync(repo.Env, "snapshots", "--json", "--tag", "daily");
        using var json = JsonDocument.Parse(run.Stdout);
        var items = json.RootElement.EnumerateArray().ToList();
        Assert.Equal([Hex(repo.First), Hex(repo.Second)], items.Select(i => i.GetProperty("id").GetString()));
        var first = items[0];
        Assert.Equal("host-a", first.GetProperty("host").GetString());
        Assert.Equal("files", first.GetProperty("kind").GetString());
        Assert.Equal(["/srv"], first.GetProperty("paths").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(["daily"], first.GetProperty("tags").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(repo.First.Size, first.GetProperty("size").GetUInt64());
        Assert.Equal(repo.First.TimeUnixNanos / 100, DateTimeOffset.Parse(first.GetProperty("time").GetString()!).UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks);
        Assert.Empty(JsonDocument.Parse((await InProcessCli.OkAsync(repo.Env, "snapshots", "--json", "--host", "nobody")).Stdout).RootElement.EnumerateArray());
    }

    [Fact]
    public async Task Latest_is_the_newest_files_snapshot_matching_host_and_path()
    {
        // The vm snapshot is newer than all, but ls reads files snapshots, so 'latest' means the newest of those.
        Assert.Equal(["/home", "/home/a.txt"], (await InProcessCli.OkAsync(repo.Env, "ls", "latest")).Lines);
        Assert.Contains("/srv/new.txt", (await InProcessCli.OkAsync(repo.Env, "ls", "latest", "--host", "host-a")).Lines);
        Assert.Contains("/srv/new.txt", (await InProcessCli.OkAsync(repo.Env, "ls", "latest", "--path", "/srv")).Lines);
        Assert.Contains("/srv/new.txt", (await InProcessCli.OkAsync(repo.Env, "ls", "latest", "--tag", "daily")).Lines);

        var none = await InProcessCli.RunAsync(repo.Env, "ls", "latest", "--host", "nobody");
        Assert.Equal(1, none.Code);
        Assert.Equal("bunker: no snapshot in repository 'main' matches 'latest' (host nobody, kind files)\n", none.Stderr);
        var nonePath = await InProcessCli.RunAsync(repo.Env, "ls", "latest", "--path", "/nowhere");
        Assert.Equal(1, nonePath.Code);
        Assert.Contains("matches 'latest' (kind files, path /nowhere)", nonePath.Stderr);
    }

    [Fact]
    public async Task A_full_id_or_a_unique_prefix_names_a_snapshot()
    {
        Assert.Contains("/srv/gone.txt", (await InProcessCli.OkAsync(repo.Env, "ls", Hex(repo.First))).Lines);
        Assert.Contains("/srv/gone.txt", (await InProcessCli.OkAsync(repo.Env, "ls", Hex(repo.First)[..10].ToUpperInvariant())).Lines);
        Assert.DoesNotContain("/srv/gone.txt", (await InProcessCli.OkAsync(repo.Env, "ls", Hex(repo.Second)[..8])).Lines);
    }

    [Fact]
    public async Task Unknown_malformed_and_other_kinds_of_snapshot_are_clear_errors()
    {
        string unknown = new('f', 64);
        var missing = await InProcessCli.RunAsync(repo.Env, "ls", unknown);
        Assert.Equal(1, missing.Code);
        Assert.Equal($"bunker: no snapshot '{unknown}' in repository 'main'\n", missing.Stderr);
        Assert.Equal("", missing.Stdout);

        var malformed = await InProcessCli.RunAsync(repo.Env, "dump", "xyz!", "/srv/big.bin");
        Assert.Equal(2, malformed.Code);
        Assert.StartsWith("bunker: 'xyz!' is not a snapshot: give its hex id", malformed.Stderr);
        Assert.Equal(2, (await InProcessCli.RunAsync(repo.Env, "ls", "abc")).Code);

        var vm = await InProcessCli.RunAsync(repo.Env, "ls", Hex(repo.Vm)[..12]);
        Assert.Equal(1, vm.Code);
        Assert.Equal($"bunker: snapshot {Hex(repo.Vm)[..8]} is a 'vm' snapshot; this command works on 'files' snapshots\n", vm.Stderr);

        var noRepository = await InProcessCli.RunAsync(repo.Server.TokenEnvironment(repo.Token), "ls", "latest");
        Assert.Equal(2, noRepository.Code);
        Assert.StartsWith("bunker: no repository: pass --repo or set BUNKER_REPOSITORY", noRepository.Stderr);
    }

    [Fact]
    public async Task A_prefix_shared_by_two_snapshots_is_refused_as_ambiguous()
    {
        // Commit tiny snapshots into another repository until two ids share their first 4 hex digits
        // (a birthday collision among 65,536 prefixes: a few hundred commits).
        var seen = new Dictionary<string, int>();
        string? shared = null;
        for (int i = 0; shared is null && i < 5000; i++)
        {
            var snapshot = await repo.CommitVmAsync("crowd", 1_000_000_000L * (i + 1));
            string prefix = Hex(snapshot)[..4];
            if (!seen.TryAdd(prefix, i)) shared = prefix;
        }
        Assert.NotNull(shared);

        var run = await InProcessCli.RunAsync(repo.Env, "ls", shared, "--repo", "crowd");
        Assert.Equal(1, run.Code);
        Assert.Equal($"bunker: '{shared}' matches 2 snapshots; give more of the id\n", run.Stderr);
    }
}
