using Bunker.Client.Backup;
using Bunker.Client.Connection;
using Bunker.Client.Vm;
using Bunker.Protocol.V1;
using Bunker.Tests.Shared;

namespace Bunker.EndToEnd.Tests.Vm;

/// <summary>
/// A disk's index from the repository is input like any other: one whose entries do not add up to the size the
/// snapshot records, or hold chunks larger than a disk chunk, is refused by restore and by serve,
/// and nothing is left behind that could pass for a restored disk.
/// </summary>
public sealed class HostileDiskIndexTests : IClassFixture<RunningDaemon>, IAsyncLifetime
{
    private readonly RunningDaemon _server;
    private ScratchDirectory _scratch = null!;
    private string _token = null!;

    public HostileDiskIndexTests(RunningDaemon server) => _server = server;

    public async Task InitializeAsync()
    {
        _scratch = FileTrees.Scratch("bunker-vm-hostile");
        _token = await _server.TenantAsync($"hv{Guid.NewGuid():N}"[..12], "main");
    }

    public Task DisposeAsync()
    {
        _scratch.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Commits a vm snapshot of <paramref name="vm"/> whose disk sda claims <paramref name="size"/> bytes and holds <paramref name="chunks"/> (a length alone is a hole).</summary>
    private async Task<string> CommitAsync(string vm, long size, params (int Length, bool Hole)[] chunks)
    {
        using var connection = BunkerConnection.Open(new ConnectionSettings(_server.Daemon.Address, _token, "main", null));
        var start = new BackupStart { Repository = "main", SourceKind = VmSnapshots.Kind, Host = "evil", SourceId = vm };
        start.Labels[VmSnapshots.SizeLabel("sda")] = size.ToString();
        start.Labels[VmSnapshots.FormatLabel("sda")] = "raw";
        start.Labels[VmSnapshots.BitmapLabel("sda")] = "b0";
        await using var uploader = await BackupUploader.StartAsync(connection.Repository, start, connection.Call(CancellationToken.None, Timeout.InfiniteTimeSpan));
        await uploader.AddArchiveAsync(VmSnapshots.Archive("sda"));
        int seed = 0;
        foreach (var (length, hole) in chunks)
        {
            if (hole)
            {
                await uploader.AddHoleAsync(VmSnapshots.Archive("sda"), length);
                continue;
            }
            var data = new byte[length];
            new Random(seed++).NextBytes(data);
            await uploader.AddChunkAsync(VmSnapshots.Archive("sda"), data);
        }
        var snapshot = await uploader.CommitAsync();
        return Convert.ToHexStringLower(snapshot.Id.Span);
    }

    [Theory]
    [InlineData("short", "covers 8388608 bytes; the snapshot says the disk is 12582912")]
    [InlineData("long", "is not a disk of 4194304 bytes")]
    [InlineData("big-chunk", "in chunks of at most 4194304 (entry at 0, 6291456 bytes)")]
    [InlineData("big-hole", "in chunks of at most 4194304 (entry at 4194304, 8388608 bytes)")]
    public async Task An_index_that_does_not_fit_the_disk_is_refused_and_nothing_is_left(string lie, string message)
    {
        string vm = "vm-" + lie;
        string id = lie switch
        {
            "short" => await CommitAsync(vm, 12 << 20, (4 << 20, false), (4 << 20, true)),
            "long" => await CommitAsync(vm, 4 << 20, (4 << 20, false), (4 << 20, false)),
            "big-chunk" => await CommitAsync(vm, 6 << 20, (6 << 20, false)),
            _ => await CommitAsync(vm, 12 << 20, (4 << 20, false), (8 << 20, true)),
        };
        var env = _server.TokenEnvironment(_token, "main");
        string target = _scratch.Combine(lie + ".raw");
        var restore = await BunkerCli.RunAsync(env, "restore", "vm", id, "--to", target);
        Assert.True(restore.Code == 1, restore.ToString());
        Assert.Contains(message, restore.Stderr);
        Assert.False(File.Exists(target), "a refused restore leaves no image behind");

        var serve = await BunkerCli.RunAsync(env, "vm", "serve", id, "--listen", $"unix:{_scratch.Combine(lie + ".sock")}");
        Assert.Equal(1, serve.Code);
        Assert.Contains(message, serve.Stderr);
    }
}
