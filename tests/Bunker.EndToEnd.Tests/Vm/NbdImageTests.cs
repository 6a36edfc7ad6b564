using System.Diagnostics;
using System.Text.Json;
using Bunker.Tests.Shared;

namespace Bunker.EndToEnd.Tests.Vm;

/// <summary>
/// Disks read over NBD from qemu-nbd serving a qcow2 image with a dirty bitmap: the first backup reads in full, the
/// second reads only the dirty chunk and takes the rest from its parent; the restore matches the image; and
/// `bunker vm serve` exposes the snapshot so that qemu-img reads it, and boots an overlay on it, through NBD.
/// </summary>
public sealed class NbdImageTests : IClassFixture<RunningDaemon>, IAsyncLifetime
{
    private readonly RunningDaemon _server;
    private ScratchDirectory _scratch = null!;
    private Dictionary<string, string> _env = null!;
    private readonly List<Process> _processes = [];

    public NbdImageTests(RunningDaemon server) => _server = server;

    public async Task InitializeAsync()
    {
        _scratch = FileTrees.Scratch("bunker-nbd");
        _env = _server.TokenEnvironment(await _server.TenantAsync($"nbd{Guid.NewGuid():N}"[..12], "main"), "main");
    }

    public Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.Dispose();
        }
        _scratch.Dispose();
        return Task.CompletedTask;
    }

    private static async Task RunAsync(string tool, params string[] args)
    {
        var run = await ExternalTools.RunSeparatelyAsync(tool, args, "/", TimeSpan.FromMinutes(3));
        Assert.True(run.Code == 0, $"{tool} {string.Join(' ', args)}: {run}");
    }

    private Process Start(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        foreach (var (key, value) in _env) info.Environment[key] = value;
        var process = Process.Start(info)!;
        _processes.Add(process);
        return process;
    }

    /// <summary>qemu-nbd serving the qcow2 read-only on a unix socket, with bitmap b0 exposed; returns its URI once it listens.</summary>
    private async Task<(Process Process, string Uri)> ServeQcow2Async(string image)
    {
        string socket = _scratch.Combine($"qemu-{Guid.NewGuid():N}.sock");
        var process = Start("qemu-nbd", "--format=qcow2", "--read-only", "--persistent", "--shared=4", $"--socket={socket}", "--export-name=disk", "--bitmap=b0", image);
        for (int i = 0; i < 200 && !File.Exists(socket); i++) await Task.Delay(50);
        Assert.True(File.Exists(socket), "qemu-nbd did not listen: " + (process.HasExited ? await process.StandardError.ReadToEndAsync() : "still starting"));
        return (process, $"nbd+unix:///disk?socket={socket}");
    }

    private async Task<JsonElement> BackupAsync(string uri)
    {
        var run = await BunkerCli.RunAsync(_env, "backup", "vm", "--disk", $"sda={uri}", "--vm", "vm-7", "--dirty-bitmap", "b0", "--json");
        Assert.True(run.Code == 0, run.ToString());
        return JsonDocument.Parse(run.Stdout).RootElement;
    }

    [Fact]
    public async Task Dirty_bitmap_backups_read_only_changed_chunks_and_a_served_snapshot_reads_back_exactly()
    {
        string raw = _scratch.Combine("seed.raw");
        await using (var seed = new FileStream(raw, FileMode.CreateNew))
        {
            seed.SetLength(256L << 20);
            var data = new byte[12 << 20];
            new Random(5).NextBytes(data);
            seed.Position = 0;
            seed.Write(data, 0, 8 << 20);
            seed.Position = 100L << 20;
            seed.Write(data, 8 << 20, 4 << 20);
        }
        string image = _scratch.Combine("vm.qcow2");
        await RunAsync("qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, image);
        await RunAsync("qemu-img", "bitmap", "--add", image, "b0");

        var (nbd, uri) = await ServeQcow2Async(image);
        var first = await BackupAsync(uri);
        Assert.Contains("no parent", first.GetProperty("warnings")[0].GetString());
        Assert.Equal("b0", first.GetProperty("disks")[0].GetProperty("bitmap").GetString());
        Assert.True(first.GetProperty("disks")[0].GetProperty("bytes_read").GetInt64() <= 16L << 20, "holes are skipped through base:allocation");
        nbd.Kill();
        await nbd.WaitForExitAsync();

        await RunAsync("qemu-io", "-f", "qcow2", "-c", "write -P 0xcd 50M 64k", image);
        (_, uri) = await ServeQcow2Async(image);
        var second = await BackupAsync(uri);
        var disk = second.GetProperty("disks")[0];
        Assert.Equal(0, second.GetProperty("warnings").GetArrayLength());
        Assert.Equal(63, disk.GetProperty("reused_chunks").GetInt64());
        Assert.True(disk.GetProperty("bytes_read").GetInt64() <= 4L << 20, "only the dirty chunk is read");
        Assert.True(second.GetProperty("bytes_added").GetInt64() <= 4L << 20);

        // A bitmap the server does not export is no bitmap: a full read, with a warning that says why.
        var unknown = await BunkerCli.RunAsync(_env, "backup", "vm", "--disk", $"sda={uri}", "--vm", "vm-7", "--dirty-bitmap", "b9", "--json");
        Assert.True(unknown.Code == 0, unknown.ToString());
        var full = JsonDocument.Parse(unknown.Stdout).RootElement;
        Assert.Contains("offers no qemu:dirty-bitmap:b9", full.GetProperty("warnings")[0].GetString());
        Assert.Equal(0, full.GetProperty("disks")[0].GetProperty("reused_chunks").GetInt64());
        Assert.Equal(0, full.GetProperty("chunks_uploaded").GetInt64()); // read in full, and all of it dedups
        // It recorded no bitmap, so the next b0 incremental cannot trust b0 either.
        var after = await BackupAsync(uri);
        Assert.Contains("did not record bitmap 'b0'", after.GetProperty("warnings")[0].GetString());

        string restored = _scratch.Combine("restored.raw");
        var restore = await BunkerCli.RunAsync(_env, "restore", "vm", "latest", "--to", restored);
        Assert.True(restore.Code == 0, restore.ToString());
        await RunAsync("qemu-img", "compare", "-f", "raw", "-F", "qcow2", restored, image);

        // Instant restore: bunker serves the snapshot; qemu reads it, and an overlay boots on it.
        string serveSocket = _scratch.Combine("serve.sock");
        var serve = Start("dotnet", Path.Combine(AppContext.BaseDirectory, "bunker.dll"), "vm", "serve", "latest", "--listen", $"unix:{serveSocket}");
        string served = (await serve.StandardOutput.ReadLineAsync())!;
        // stderr is read only on failure: reading it to the end waits for the server to exit.
        if (served is null || !served.StartsWith("nbd+unix://"))
            Assert.Fail("vm serve printed: " + served + await serve.StandardError.ReadToEndAsync());
        await RunAsync("qemu-img", "compare", "-F", "raw", "-f", "qcow2", image, served!);
        var map = await ExternalTools.RunSeparatelyAsync("nbdinfo", ["--map", served!], "/", TimeSpan.FromMinutes(1));
        Assert.True(map.Code == 0, map.ToString());
        Assert.Contains("hole", map.Stdout);
        // A copy over four connections at once (the export says CAN_MULTI_CONN) is the same disk.
        string copied = _scratch.Combine("copied.raw");
        await RunAsync("nbdcopy", "--connections=4", served!, copied);
        await RunAsync("qemu-img", "compare", "-f", "raw", "-F", "qcow2", copied, image);
        string overlay = _scratch.Combine("overlay.qcow2");
        await RunAsync("qemu-img", "create", "-f", "qcow2", "-F", "raw", "-b", served!, overlay);
        await RunAsync("qemu-io", "-f", "qcow2", "-c", "write -P 0x11 0 4k", overlay);
        // The VM's own write is in the overlay; everything else reads through to the served snapshot.
        foreach (var read in new[] { "read -P 0x11 0 4k", "read -P 0xcd 50M 64k" })
        {
            var check = await ExternalTools.RunSeparatelyAsync("qemu-io", ["-f", "qcow2", "-c", read, overlay], "/", TimeSpan.FromMinutes(1));
            Assert.True(check.Code == 0 && !check.Stdout.Contains("verification failed"), read + ": " + check);
        }
        serve.Kill(entireProcessTree: true);
    }

    [Fact]
    public async Task A_disk_restores_into_a_writable_nbd_export_holes_included()
    {
        string raw = _scratch.Combine("source.raw");
        await using (var source = new FileStream(raw, FileMode.CreateNew))
        {
            source.SetLength(64L << 20);
            var data = new byte[6 << 20];
            new Random(11).NextBytes(data);
            source.Position = 2L << 20;
            source.Write(data);
        }
        Assert.Equal(0, (await BunkerCli.RunAsync(_env, "backup", "vm", "--disk", $"vda={raw}", "--vm", "vm-nbd-target")).Code);

        // The target already holds data everywhere: the holes must be written as zeros, not left alone.
        string target = _scratch.Combine("target.qcow2");
        await RunAsync("qemu-img", "create", "-f", "qcow2", target, "64M");
        await RunAsync("qemu-io", "-f", "qcow2", "-c", "write -P 0xee 0 64M", target);
        string socket = _scratch.Combine($"target-{Guid.NewGuid():N}.sock");
        var nbd = Start("qemu-nbd", "--format=qcow2", "--persistent", "--shared=4", $"--socket={socket}", "--export-name=vda", target);
        for (int i = 0; i < 200 && !File.Exists(socket); i++) await Task.Delay(50);
        Assert.True(File.Exists(socket), "qemu-nbd did not listen");

        var restore = await BunkerCli.RunAsync(_env, "restore", "vm", "latest", "--vm", "vm-nbd-target", "--to", $"nbd+unix:///vda?socket={socket}", "--parallel", "4", "--json");
        Assert.True(restore.Code == 0, restore.ToString());
        var result = JsonDocument.Parse(restore.Stdout).RootElement;
        Assert.Equal(56L << 20, result.GetProperty("hole_bytes").GetInt64()); // chunks 0 and 1 hold the data
        nbd.Kill();
        await nbd.WaitForExitAsync();
        await RunAsync("qemu-img", "compare", "-f", "raw", "-F", "qcow2", raw, target);

        // A target smaller than the disk is refused before anything is written.
        string small = _scratch.Combine("small.qcow2");
        await RunAsync("qemu-img", "create", "-f", "qcow2", small, "32M");
        string smallSocket = _scratch.Combine($"small-{Guid.NewGuid():N}.sock");
        Start("qemu-nbd", "--format=qcow2", "--persistent", $"--socket={smallSocket}", small);
        for (int i = 0; i < 200 && !File.Exists(smallSocket); i++) await Task.Delay(50);
        var refused = await BunkerCli.RunAsync(_env, "restore", "vm", "latest", "--vm", "vm-nbd-target", "--to", $"nbd+unix:///?socket={smallSocket}");
        Assert.Equal(1, refused.Code);
        Assert.Contains("holds 33554432 bytes; the disk is 67108864", refused.Stderr);
    }
}
