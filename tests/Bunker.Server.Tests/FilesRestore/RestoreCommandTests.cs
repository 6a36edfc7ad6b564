using System.Text.Json;
using Bunker.Client;
using Bunker.Client.Backup;
using Bunker.Protocol.V1;
using Bunker.Tests.Shared;

namespace Bunker.Server.Tests.FilesRestore;

/// <summary><c>bunker restore</c> in-process against a daemon on real Kestrel: snapshot selection, output, warnings and exit codes.</summary>
public sealed class RestoreCommandTests : IAsyncLifetime
{
    private RestoreHarness _h = null!;

    public async Task InitializeAsync() => _h = await RestoreHarness.StartAsync(kestrel: true);

    public async Task DisposeAsync() => await _h.DisposeAsync();

    private Task<CliRun> RunAsync(params string[] args) => InProcessCli.RunAsync(new Dictionary<string, string>
    {
        ["BUNKER_SERVER"] = _h.Daemon.Address.ToString(),
        ["BUNKER_TOKEN"] = _h.Token,
        ["BUNKER_REPOSITORY"] = "main",
    }, args);

    private static string Id(SnapshotInfo snapshot) => Convert.ToHexStringLower(snapshot.Id.Span);

    [Fact]
    public async Task Restore_latest_prints_a_summary_and_json_gives_the_counts()
    {
        await _h.BuildAsync(new FileSnapshotBuilder().File("old", "old"u8.ToArray()));
        var latest = await _h.BuildAsync(new FileSnapshotBuilder().Directory("d").File("d/a", "a"u8.ToArray()).Symlink("l", "d/a"));

        var text = await RunAsync("restore", "latest", "--target", _h.Path("text"));
        var json = await RunAsync("restore", Id(latest)[..10], "--target", _h.Path("json"), "--json", "--parallel", "2", "--verify");

        Assert.Equal((0, ""), (text.Code, text.Stderr));
        Assert.StartsWith($"restored snapshot {Id(latest)[..8]} to {_h.Path("text")}: 1 files, 1 directories, 1 links, 0 special;", text.Stdout);
        Assert.False(File.Exists(_h.Path("text", "old")));
        Assert.Equal("a", await File.ReadAllTextAsync(_h.Path("text", "d", "a")));
        Assert.Equal((0, ""), (json.Code, json.Stderr));
        var root = JsonDocument.Parse(json.Stdout).RootElement;
        Assert.Equal(Id(latest), root.GetProperty("snapshot").GetString());
        Assert.Equal(1, root.GetProperty("files").GetInt64());
        Assert.Equal(1, root.GetProperty("bytesWritten").GetInt64());
        Assert.True(root.GetProperty("verified").GetBoolean());
        Assert.Equal(0, root.GetProperty("warnings").GetArrayLength());
    }

    [Fact]
    public async Task Warnings_are_named_on_stderr_and_exit_3()
    {
        var snapshot = await _h.BuildAsync(new FileSnapshotBuilder().File("blocked/file", "x"u8.ToArray()).File("fine", "y"u8.ToArray()));
        Directory.CreateDirectory(_h.Path("target"));
        File.CreateSymbolicLink(_h.Path("target", "blocked"), "/");

        var run = await RunAsync("restore", Id(snapshot), "--target", _h.Path("target"));

        Assert.Equal(ExitCodes.Incomplete, run.Code);
        Assert.StartsWith("bunker: warning: blocked: exists and is not a directory (a symlink is never followed)", run.Stderr);
        Assert.Contains("1 files", run.Stdout);
        Assert.Contains("1 warnings", run.Stdout);
    }

    [Fact]
    public async Task A_hostile_catalog_fails_with_exit_1_naming_the_entry()
    {
        var snapshot = await _h.BuildAsync(new FileSnapshotBuilder { Raw = true }.File("../escape", "x"u8.ToArray()));

        var run = await RunAsync("restore", Id(snapshot), "--target", _h.Path("target"));

        Assert.Equal(ExitCodes.Failed, run.Code);
        Assert.Equal("bunker: restore failed: catalog entry '../escape' is refused: the path has a '..' component", run.Stderr.TrimEnd());
        Assert.False(File.Exists(_h.Path("escape")));
    }

    [Fact]
    public async Task A_target_that_is_not_a_directory_fails_with_exit_1()
    {
        var snapshot = await _h.BuildAsync(new FileSnapshotBuilder().File("a", "a"u8.ToArray()));
        await File.WriteAllTextAsync(_h.Path("file"), "not a directory");

        var run = await RunAsync("restore", Id(snapshot), "--target", _h.Path("file"));

        Assert.Equal(ExitCodes.Failed, run.Code);
        Assert.StartsWith("bunker: restore failed: ", run.Stderr);
        Assert.Contains(_h.Path("file"), run.Stderr);
    }

    [Fact]
    public async Task A_snapshot_of_another_kind_is_refused()
    {
        var start = new BackupStart { Repository = "main", SourceKind = "postgres", Host = "db", SourceId = "main" };
        await using var uploader = await BackupUploader.StartAsync(_h.Daemon.Repository(), start, _h.Transfers.Options);
        await uploader.AddChunkAsync("base.tar", "tar"u8.ToArray());
        var snapshot = await uploader.CommitAsync();

        var run = await RunAsync("restore", Id(snapshot), "--target", _h.Path("target"));

        Assert.Equal(ExitCodes.Failed, run.Code);
        Assert.Contains("is a 'postgres' snapshot; this command works on 'files' snapshots", run.Stderr);
        Assert.False(Directory.Exists(_h.Path("target")));
    }

    [Fact]
    public async Task Latest_with_host_and_path_picks_among_matching_snapshots()
    {
        // Transfers' snapshots are of host-a with source id /data and no paths; this one adds a path.
        var withPath = await new FileSnapshotBuilder().File("p", "p"u8.ToArray()).BuildAsync(() =>
        {
            var start = _h.Transfers.Start();
            start.Paths.Add("/srv/www");
            return BackupUploader.StartAsync(_h.Daemon.Repository(), start, _h.Transfers.Options);
        });
        await _h.BuildAsync(new FileSnapshotBuilder().File("newer", "n"u8.ToArray()));

        var byPath = await RunAsync("restore", "latest", "--path", "/srv/www/", "--host", "host-a", "--target", _h.Path("by-path"));
        var otherHost = await RunAsync("restore", "latest", "--host", "host-b", "--target", _h.Path("other"));
        var badPath = await RunAsync("restore", "latest", "--path", "/nowhere", "--target", _h.Path("nowhere"));

        Assert.Equal(0, byPath.Code);
        Assert.Contains(Id(withPath)[..8], byPath.Stdout);
        Assert.True(File.Exists(_h.Path("by-path", "p")));
        Assert.Equal(ExitCodes.Failed, otherHost.Code);
        Assert.Contains("no snapshot in repository 'main' matches 'latest' (host host-b, kind files)", otherHost.Stderr);
        Assert.Equal(ExitCodes.Failed, badPath.Code);
        Assert.Contains("no snapshot in repository 'main' matches 'latest' (kind files, path /nowhere)", badPath.Stderr);
    }

    [Fact]
    public async Task Run_by_another_user_owners_are_not_restored_and_device_nodes_are_warnings()
    {
        var owned = FileSnapshotBuilder.Base("owned"u8.ToArray(), EntryType.File, 0x1A4, FileSnapshotBuilder.DefaultTime);
        owned.Uid = 1234;
        owned.Gid = 5678;
        owned.Size = 5;
        var snapshot = await _h.BuildAsync(new FileSnapshotBuilder()
            .Add(owned, "owned"u8.ToArray())
            .Node("fifo", EntryType.Fifo)
            .Node("null", EntryType.CharDevice, rdev: (1 << 8) | 3));
        // The built bunker, run as nobody, in a target nobody owns.
        File.SetUnixFileMode(_h.Work, (UnixFileMode)0x1ED);
        var target = _h.Path("target");
        Directory.CreateDirectory(target);
        var chown = await ExternalTools.RunSeparatelyAsync("chown", ["65534:65534", target], "/", TimeSpan.FromSeconds(30));
        Assert.Equal(0, chown.Code);
        var env = new Dictionary<string, string?>
        {
            ["BUNKER_SERVER"] = _h.Daemon.Address.ToString(), ["BUNKER_TOKEN"] = _h.Token, ["BUNKER_REPOSITORY"] = "main",
            ["HOME"] = "/tmp", ["DOTNET_CLI_HOME"] = "/tmp",
        };

        var run = await ExternalTools.RunSeparatelyAsync("setpriv",
            ["--reuid=65534", "--regid=65534", "--clear-groups", "dotnet", Path.Combine(AppContext.BaseDirectory, "bunker.dll"), "restore", Id(snapshot), "--target", target],
            "/tmp", TimeSpan.FromMinutes(2), env);

        Assert.True(run.Code == ExitCodes.Incomplete, run.ToString());
        Assert.Equal("bunker: warning: null: character device not restored: only root may create device nodes", run.Stderr.TrimEnd());
        var stat = await ExternalTools.RunSeparatelyAsync("stat", ["-c", "%n %F %u %g", "owned", "fifo"], target, TimeSpan.FromSeconds(30));
        Assert.Equal(["owned regular file 65534 65534", "fifo fifo 65534 65534"], stat.Stdout.TrimEnd().Split('\n'));
        Assert.Equal("owned", await File.ReadAllTextAsync(Path.Combine(target, "owned")));
    }

    [Theory]
    [InlineData("--parallel", "0", "--parallel must be 1 to 64")]
    [InlineData("--include", "a/../b", "'..' component")]
    public async Task Bad_options_are_usage_errors(string option, string value, string message)
    {
        var snapshot = await _h.BuildAsync(new FileSnapshotBuilder().File("a", "a"u8.ToArray()));
        var run = await RunAsync("restore", Id(snapshot), "--target", _h.Path("target"), option, value);
        Assert.Equal(ExitCodes.Usage, run.Code);
        Assert.Contains(message, run.Stderr);
    }
}
