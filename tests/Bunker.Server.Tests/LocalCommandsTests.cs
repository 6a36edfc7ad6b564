using Bunker.Server;

namespace Bunker.Server.Tests;

/// <summary>
/// Runs alone: the tests swap the process console, and the in-process daemons of other classes log to it
/// (a start-up warning landing in a captured stdout made the snapshot id check fail now and then).
/// </summary>
[CollectionDefinition(nameof(ConsoleCapture), DisableParallelization = true)]
public sealed class ConsoleCapture;

/// <summary>
/// bunkerd's local commands as an operator runs them: exit codes, output, and bad arguments.
/// They share the process console, so they run one at a time in this one class.
/// </summary>
[Collection(nameof(ConsoleCapture))]
public sealed class LocalCommandsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("bunkerd-cli-").FullName;
    private string Data => Path.Combine(_root, "data");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var (stdout, stderr) = (Console.Out, Console.Error);
        var (o, e) = (new StringWriter(), new StringWriter());
        Console.SetOut(o);
        Console.SetError(e);
        try
        {
            int code = await LocalCommands.RunAsync(["--data", Data, .. args]);
            return (code, o.ToString(), e.ToString());
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
        }
    }

    [Fact]
    public async Task InitBackupRestoreCheckAndRebuildWorkEndToEnd()
    {
        Assert.Equal(0, (await RunAsync("init")).Code);
        if (OperatingSystem.IsLinux())
            Assert.Equal(System.IO.UnixFileMode.UserRead | System.IO.UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(Data, "master.key")));
        var file = Path.Combine(_root, "payload.bin");
        var bytes = new byte[3_000_000];
        new Random(7).NextBytes(bytes);
        File.WriteAllBytes(file, bytes);

        var backup = await RunAsync("backup-file", file);
        Assert.Equal(0, backup.Code);
        string id = backup.Out.Trim();
        Assert.Equal(64, id.Length);

        var target = Path.Combine(_root, "restore");
        Assert.Equal(0, (await RunAsync("restore-file", id[..8], target)).Code);
        Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(target, "payload.bin")));

        Assert.Equal(0, (await RunAsync("check", "--read-data")).Code);
        var rebuild = await RunAsync("rebuild-index");
        Assert.Equal(0, rebuild.Code);
        Assert.Contains("1 snapshots", rebuild.Out);
        Assert.Contains(id[..8], (await RunAsync("snapshots")).Out);
    }

    [Theory]
    [InlineData("restore-file", "zz-not-hex", "x")]
    [InlineData("restore-file", "", "x")]
    [InlineData("restore-file", "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789ff", "x")]
    [InlineData("restore-file", "00000000", "x")]
    public async Task BadSnapshotIdsAreClearErrors(params string[] args)
    {
        Assert.Equal(0, (await RunAsync("init")).Code);
        var result = await RunAsync(args);
        Assert.Equal(1, result.Code);
        Assert.StartsWith("bunkerd: ", result.Err);
    }

    [Fact]
    public async Task UsageErrorsAndMissingStateAreReportedNotThrown()
    {
        Assert.Equal(2, (await RunAsync("frobnicate")).Code);
        Assert.Equal(2, (await RunAsync("backup-file")).Code);
        var noRepo = await RunAsync("snapshots");
        Assert.Equal(1, noRepo.Code);
        Assert.Contains("bunkerd:", noRepo.Err);
        Assert.Equal(2, await LocalCommands.RunAsync(["--data"]));
    }

    [Fact]
    public async Task ACheckThatFindsDamageExitsThree()
    {
        Assert.Equal(0, (await RunAsync("init")).Code);
        var file = Path.Combine(_root, "f");
        File.WriteAllText(file, string.Concat(Enumerable.Repeat("some text that compresses ", 20_000)));
        Assert.Equal(0, (await RunAsync("backup-file", file)).Code);
        var pack = Directory.EnumerateFiles(Path.Combine(Data, "repos", "local", "default", "packs"), "*", SearchOption.AllDirectories).First();
        var bytes = File.ReadAllBytes(pack);
        bytes[100] ^= 0xFF;
        File.WriteAllBytes(pack, bytes);
        var check = await RunAsync("check", "--read-data");
        Assert.Equal(3, check.Code);
        Assert.Contains(Path.GetFileName(pack), check.Out);
        Assert.Contains("DAMAGE FOUND", check.Out);
    }
}
