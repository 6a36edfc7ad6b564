using System.Diagnostics;
using System.Text.Json;
using Bunker.Tests.Shared;

namespace Bunker.EndToEnd.Tests;

/// <summary>
/// <c>bunker backup files</c> as a shell runs it, against a real bunkerd: what it prints, its exit codes, a file it
/// may not read (run as nobody, since root reads everything), and a server that dies in the middle of a backup.
/// </summary>
public sealed class BackupFilesTests(RunningDaemon server) : IClassFixture<RunningDaemon>
{
    private static readonly SemaphoreSlim Setup = new(1, 1);
    private static string? _token;

    /// <summary>Tenant "files", repository "main", and a backup+restore token for it, made once for the class.</summary>
    private async Task<Dictionary<string, string>> EnvironmentAsync()
    {
        await Setup.WaitAsync();
        try
        {
            _token ??= await server.TenantAsync("files", "main");
        }
        finally
        {
            Setup.Release();
        }
        return server.TokenEnvironment(_token, repository: "main");
    }

    [Fact]
    public async Task The_id_goes_to_stdout_the_summary_to_stderr_and_json_tells_what_a_second_run_did()
    {
        using var scratch = FileTrees.Scratch("cli-backup");
        File.WriteAllText(scratch.Combine("a.txt"), "alpha");
        Directory.CreateDirectory(scratch.Combine("sub"));
        File.WriteAllText(scratch.Combine("sub", "b.txt"), "beta");
        var env = await EnvironmentAsync();

        var first = await BunkerCli.RunAsync(env, "backup", "files", scratch.Path, "--tag", "daily", "--host", "e2e");
        Assert.True(first.Code == 0, first.ToString());
        Assert.Matches("^[0-9a-f]{64}\n$", first.Stdout);
        Assert.Matches(@"^snapshot [0-9a-f]{8} saved: files 2 new, 0 changed, 0 unchanged; .* added \(.* sent\) in \d+\.\ds\n$", first.Stderr);

        var second = await BunkerCli.RunAsync(env, "backup", "files", scratch.Path, "--host", "e2e", "--json");
        Assert.True(second.Code == 0, second.ToString());
        using var json = JsonDocument.Parse(second.Stdout);
        var result = json.RootElement;
        Assert.Equal(first.Stdout.Trim(), result.GetProperty("parent").GetString());
        Assert.Equal(2, result.GetProperty("files_unchanged").GetInt64());
        Assert.Equal(0, result.GetProperty("bytes_read").GetInt64());
        Assert.Equal(0, result.GetProperty("chunks_uploaded").GetInt64());
        Assert.Equal(0, result.GetProperty("warnings").GetArrayLength());
        Assert.Equal("", second.Stderr);
    }

    [Fact]
    public async Task A_no_change_backup_of_100_000_files_reads_no_file_bytes()
    {
        using var scratch = FileTrees.Scratch("cli-100k");
        // Python writes them several times faster than .NET; distinct contents, so each file is its own chunk.
        await FileTrees.PythonAsync("""
            import os, sys
            for d in range(100):
                directory = os.path.join(sys.argv[1], "dir%03d" % d)
                os.mkdir(directory)
                for f in range(1000):
                    with open(os.path.join(directory, "file%04d.dat" % f), "wb") as out:
                        out.write(((d * 1000 + f).to_bytes(4, "little")) * 16)
            """, scratch.Path);
        var env = await EnvironmentAsync();

        var clock = Stopwatch.StartNew();
        var first = await BunkerCli.RunAsync(env, "backup", "files", scratch.Path, "--host", "e2e-100k", "--json");
        var initial = clock.Elapsed;
        clock.Restart();
        var second = await BunkerCli.RunAsync(env, "backup", "files", scratch.Path, "--host", "e2e-100k", "--json");
        var noChange = clock.Elapsed;
        Console.WriteLine($"100,000 files through bunker: initial {initial.TotalSeconds:0.00} s, no change {noChange.TotalSeconds:0.00} s");

        Assert.True(first.Code == 0, first.ToString());
        Assert.True(second.Code == 0, second.ToString());
        using var json = JsonDocument.Parse(second.Stdout);
        Assert.Equal(100_000, JsonDocument.Parse(first.Stdout).RootElement.GetProperty("files_new").GetInt64());
        Assert.Equal(100_000, json.RootElement.GetProperty("files_unchanged").GetInt64());
        Assert.Equal(0, json.RootElement.GetProperty("bytes_read").GetInt64());
        Assert.Equal(0, json.RootElement.GetProperty("chunks_uploaded").GetInt64());
    }

    [Fact]
    public async Task A_file_the_user_may_not_read_is_named_on_stderr_and_the_exit_code_is_3()
    {
        using var scratch = FileTrees.Scratch("cli-denied");
        File.WriteAllText(scratch.Combine("readable.txt"), "anyone may read this");
        var locked = scratch.Combine("locked.txt");
        File.WriteAllText(locked, "only root");
        if (OperatingSystem.IsLinux()) File.SetUnixFileMode(locked, UnixFileMode.None);
        var env = await EnvironmentAsync();

        var run = await BunkerCli.RunAsUserAsync("nobody", env, "backup", "files", scratch.Path, "--host", "e2e-nobody");

        Assert.True(run.Code == 3, run.ToString());
        Assert.Matches("^[0-9a-f]{64}\n$", run.Stdout); // the snapshot was saved all the same
        Assert.Contains($"bunker: warning: {locked}: open: Permission denied\n", run.Stderr);
        Assert.Contains("files 1 new", run.Stderr);
    }

    [Fact]
    public async Task Bad_arguments_are_usage_errors()
    {
        var env = await EnvironmentAsync();
        var pattern = await BunkerCli.RunAsync(env, "backup", "files", "/var/tmp", "--exclude", "broken[");
        Assert.Equal(2, pattern.Code);
        Assert.Contains("'broken['", pattern.Stderr);

        var both = await BunkerCli.RunAsync(env, "backup", "files", "/var/tmp", "--parent", "abcd", "--force");
        Assert.Equal(2, both.Code);
        Assert.Contains("--force", both.Stderr);

        var noRepository = await BunkerCli.RunAsync(new Dictionary<string, string>(env) { ["BUNKER_REPOSITORY"] = "" }, "backup", "files", "/var/tmp");
        Assert.Equal(2, noRepository.Code);
        Assert.Contains("--repo", noRepository.Stderr);
    }

    [Fact]
    public async Task A_backup_cut_off_by_the_server_dying_resends_only_what_was_not_stored()
    {
        using var scratch = FileTrees.Scratch("cli-resume");
        var tree = Directory.CreateDirectory(scratch.Combine("tree")).FullName;
        const int Files = 8, FileSize = 64 << 20;
        var random = new Random(4);
        var block = new byte[FileSize];
        for (int i = 0; i < Files; i++)
        {
            random.NextBytes(block); // incompressible, so the packs grow with what is sent
            await File.WriteAllBytesAsync(Path.Combine(tree, $"part{i}.bin"), block);
        }
        long total = (long)Files * FileSize;

        var data = scratch.Combine("data");
        var daemon = await DaemonProcess.StartAsync(data);
        var admin = new Dictionary<string, string> { ["BUNKER_SERVER"] = daemon.Address.ToString(), ["BUNKER_TOKEN_FILE"] = Path.Combine(data, "admin.token") };
        var token = await RunningDaemon.TenantAsync(admin, "files", ["main"]);
        var env = new Dictionary<string, string> { ["BUNKER_SERVER"] = daemon.Address.ToString(), ["BUNKER_TOKEN"] = token, ["BUNKER_REPOSITORY"] = "main" };

        var cutOff = BunkerCli.RunAsync(env, "backup", "files", tree);
        // kill -9 once a quarter of the data sits in sealed packs: what was sealed is stored, the rest is lost with the process.
        var packs = Path.Combine(data, "repos");
        var clock = Stopwatch.StartNew();
        while (PackBytes(packs) < total / 4 && !cutOff.IsCompleted && clock.Elapsed < TimeSpan.FromMinutes(2)) await Task.Delay(10);
        if (cutOff.IsCompleted) Assert.Fail("the backup finished before the server could be killed: " + await cutOff);
        Process.GetProcessById(daemon.Pid).Kill();
        var failed = await cutOff;
        await daemon.DisposeAsync();
        Assert.True(failed.Code == 1, failed.ToString());
        Assert.StartsWith("bunker: UNAVAILABLE", failed.Stderr);
        long stored = PackBytes(packs);

        await using var restarted = await DaemonProcess.StartAsync(data);
        env["BUNKER_SERVER"] = restarted.Address.ToString();
        var resumed = await BunkerCli.RunAsync(env, "backup", "files", tree, "--json");
        Assert.True(resumed.Code == 0, resumed.ToString() + restarted.Output);
        using var json = JsonDocument.Parse(resumed.Stdout);
        long added = json.RootElement.GetProperty("bytes_added").GetInt64();
        // Everything is read again (there is no parent), but what the server kept is not sent again.
        Assert.Equal(total, json.RootElement.GetProperty("bytes_read").GetInt64());
        Assert.InRange(added, 1, total - stored + (16 << 20));
        Assert.True(added < total * 3 / 4, $"{added} of {total} bytes were sent again although {stored} were stored");
    }

    /// <summary>Bytes in sealed packs (repos/TENANT/REPO/packs/..); a pack still being written sits in tmp/ and does not count.</summary>
    private static long PackBytes(string directory) =>
        Directory.Exists(directory)
            ? Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Where(f => f.Contains("/packs/", StringComparison.Ordinal)).Sum(SafeLength)
            : 0;

    private static long SafeLength(string file)
    {
        try
        {
            return new FileInfo(file).Length;
        }
        catch (IOException)
        {
            return 0; // a temporary file renamed away under us
        }
    }
}
