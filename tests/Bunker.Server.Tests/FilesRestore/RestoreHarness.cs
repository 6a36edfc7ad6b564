using Bunker.Client.Files.Restore;
using Bunker.Protocol.V1;
using Bunker.Server.Tests.Daemon;
using Bunker.Server.Tests.Transfer;
using Bunker.Tests.Shared;

namespace Bunker.Server.Tests.FilesRestore;

/// <summary>A daemon with a repository, a scratch directory, and the steps every restore test takes: build a snapshot, restore it, look at the result.</summary>
internal sealed class RestoreHarness : IAsyncDisposable
{
    private RestoreHarness(Transfers transfers) => Transfers = transfers;

    public DaemonFixture Daemon => Transfers.Daemon;
    public string Token => Transfers.Token;
    public Transfers Transfers { get; }
    public string Work { get; } = Directory.CreateTempSubdirectory("bunker-restore-test-").FullName;

    public static async Task<RestoreHarness> StartAsync(bool kestrel = false)
    {
        return new RestoreHarness(await Transfers.ForAsync(await DaemonFixture.StartAsync(kestrel)));
    }

    public Task<SnapshotInfo> BuildAsync(FileSnapshotBuilder builder) => builder.BuildAsync(() => Transfers.StartAsync());

    public string Path(params string[] parts) => System.IO.Path.Combine([Work, .. parts]);

    public Task<FileRestoreResult> RestoreAsync(SnapshotInfo snapshot, string target, int parallel = 8, bool verify = false,
        IReadOnlyList<string>? includes = null, Action? beforeVerify = null) =>
        FileRestore.RunAsync(Daemon.Repository(), Daemon.Channel, "main", snapshot,
            new FileRestoreRequest { Target = target, Parallel = parallel, Verify = verify, Includes = includes ?? [], BeforeVerify = beforeVerify },
            Transfers.Options);

    /// <summary>tests/tools/filetree.py's manifest of a tree: one line per entry, the root's own line left out (a restore does not set the target's metadata).</summary>
    public static async Task<List<string>> ManifestAsync(string root)
    {
        var rootLine = "path=" + Convert.ToHexStringLower("."u8);
        return [.. (await FileTrees.ManifestAsync(root)).Where(l => !l.StartsWith(rootLine + " ", StringComparison.Ordinal))];
    }

    /// <summary>stat(1) of a path: inode, 512-byte blocks, size, links.</summary>
    public static async Task<(long Inode, long Blocks, long Size, int Links)> StatAsync(string path)
    {
        var run = await ExternalTools.RunSeparatelyAsync("stat", ["-c", "%i %b %s %h", path], "/", TimeSpan.FromSeconds(30));
        Assert.True(run.Code == 0, run.ToString());
        var parts = run.Stdout.Trim().Split(' ');
        return (long.Parse(parts[0]), long.Parse(parts[1]), long.Parse(parts[2]), int.Parse(parts[3]));
    }

    public async ValueTask DisposeAsync()
    {
        await Daemon.DisposeAsync();
        // rm, not Directory.Delete: .NET cannot name entries whose names are not UTF-8.
        await ExternalTools.RunSeparatelyAsync("rm", ["-rf", Work], "/", TimeSpan.FromMinutes(1));
    }
}
