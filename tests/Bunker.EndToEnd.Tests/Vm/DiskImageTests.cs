using System.Text.Json;
using Bunker.Tests.Shared;

namespace Bunker.EndToEnd.Tests.Vm;

/// <summary>
/// A real ext4 file system in a sparse 2 GiB raw image (mkfs.ext4 -d), backed up, changed inside with debugfs,
/// backed up again, and both snapshots restored and compared byte for byte with cmp.
/// </summary>
public sealed class DiskImageTests : IClassFixture<RunningDaemon>, IAsyncLifetime
{
    private const long ChunkSize = 4 << 20;
    private readonly RunningDaemon _server;
    private ScratchDirectory _scratch = null!;
    private Dictionary<string, string> _env = null!;

    public DiskImageTests(RunningDaemon server) => _server = server;

    public async Task InitializeAsync()
    {
        _scratch = FileTrees.Scratch("bunker-vm");
        _env = _server.TokenEnvironment(await _server.TenantAsync($"vm{Guid.NewGuid():N}"[..12], "main"), "main");
    }

    public Task DisposeAsync()
    {
        _scratch.Dispose();
        return Task.CompletedTask;
    }

    private static async Task RunAsync(string tool, params string[] args)
    {
        var run = await ExternalTools.RunSeparatelyAsync(tool, args, "/", TimeSpan.FromMinutes(3));
        Assert.True(run.Code == 0, $"{tool} {string.Join(' ', args)}: {run}");
    }

    private static void WriteRandom(string path, int bytes, int seed)
    {
        var data = new byte[bytes];
        new Random(seed).NextBytes(data);
        File.WriteAllBytes(path, data);
    }

    private async Task<JsonElement> BackupAsync(string image)
    {
        var run = await BunkerCli.RunAsync(_env, "backup", "vm", "--disk", $"root={image}", "--vm", "vm-101", "--json");
        Assert.True(run.Code == 0, run.ToString());
        return JsonDocument.Parse(run.Stdout).RootElement;
    }

    /// <summary>The 4 MiB chunks of <paramref name="after"/> that differ from <paramref name="before"/> and are not all zeros: what a second backup may send.</summary>
    private static long ChangedDataChunks(string before, string after)
    {
        using var a = File.OpenRead(before);
        using var b = File.OpenRead(after);
        var x = new byte[ChunkSize];
        var y = new byte[ChunkSize];
        long changed = 0;
        while (true)
        {
            int n = a.ReadAtLeast(x, x.Length, throwOnEndOfStream: false);
            int m = b.ReadAtLeast(y, y.Length, throwOnEndOfStream: false);
            Assert.Equal(n, m);
            if (n == 0) return changed;
            if (!x.AsSpan(0, n).SequenceEqual(y.AsSpan(0, m)) && y.AsSpan(0, m).IndexOfAnyExcept((byte)0) >= 0) changed++;
        }
    }

    [Fact]
    public async Task An_ext4_image_round_trips_and_the_second_backup_sends_only_the_changed_chunks()
    {
        string tree = Directory.CreateDirectory(_scratch.Combine("tree", "data")).FullName;
        for (int i = 0; i < 12; i++) WriteRandom(Path.Combine(tree, $"file{i}.bin"), 1 << 20, seed: i);
        string image = _scratch.Combine("disk.raw");
        await RunAsync("mkfs.ext4", "-q", "-F", "-d", _scratch.Combine("tree"), image, "2G");
        string first = _scratch.Combine("first.raw");
        await RunAsync("cp", "--sparse=always", image, first);

        var one = await BackupAsync(image);
        var disk = one.GetProperty("disks")[0];
        Assert.Equal(2L << 30, disk.GetProperty("size").GetInt64());
        Assert.True(disk.GetProperty("hole_chunks").GetInt64() > 400, "most of a fresh 2 GiB file system is holes");
        Assert.True(disk.GetProperty("bytes_read").GetInt64() < 256L << 20, "holes are not read");

        // Change the file system from inside: a new 1 MiB file and one file rewritten.
        string added = _scratch.Combine("added.bin");
        WriteRandom(added, 1 << 20, seed: 100);
        await RunAsync("debugfs", "-w", "-R", $"write {added} data/added.bin", image);
        WriteRandom(added, 1 << 20, seed: 101);
        await RunAsync("debugfs", "-w", "-R", "rm data/file3.bin", image);
        await RunAsync("debugfs", "-w", "-R", $"write {added} data/file3.bin", image);

        var two = await BackupAsync(image);
        long changed = ChangedDataChunks(first, image);
        long addedBytes = two.GetProperty("bytes_added").GetInt64();
        Assert.True(changed > 0);
        Assert.True(addedBytes > 0, "the change must be sent");
        Assert.True(addedBytes <= changed * ChunkSize, $"sent {addedBytes} bytes; only {changed} chunk(s) of 4 MiB changed");

        string restoredFirst = _scratch.Combine("restored-first.raw");
        string restoredSecond = _scratch.Combine("restored-second.raw");
        var r1 = await BunkerCli.RunAsync(_env, "restore", "vm", one.GetProperty("id").GetString()!, "--to", restoredFirst, "--parallel", "4");
        Assert.True(r1.Code == 0, r1.ToString());
        var r2 = await BunkerCli.RunAsync(_env, "restore", "vm", "latest", "--disk", "root", "--to", restoredSecond);
        Assert.True(r2.Code == 0, r2.ToString());
        await RunAsync("cmp", first, restoredFirst);
        await RunAsync("cmp", image, restoredSecond);
        await RunAsync("e2fsck", "-fn", restoredSecond);
        // Holes stay holes: the restored file is sparse.
        var allocated = await ExternalTools.RunSeparatelyAsync("du", ["-B1", restoredSecond], "/", TimeSpan.FromMinutes(1));
        Assert.True(long.Parse(allocated.Stdout.Split('\t')[0]) < 512L << 20, "the restore wrote the holes: " + allocated.Stdout);

        string qcow2 = _scratch.Combine("restored.qcow2");
        var q = await BunkerCli.RunAsync(_env, "restore", "vm", "latest", "--to", qcow2, "--format", "qcow2");
        Assert.True(q.Code == 0, q.ToString());
        await RunAsync("qemu-img", "check", qcow2);
        await RunAsync("qemu-img", "compare", "-f", "raw", "-F", "qcow2", image, qcow2);
    }

    /// <summary>A loop device over <paramref name="file"/>: a real block device, detached by disposing.</summary>
    private static async Task<LoopDevice> AttachAsync(string file)
    {
        var run = await ExternalTools.RunSeparatelyAsync("losetup", ["--find", "--show", file], "/", TimeSpan.FromMinutes(1));
        Assert.True(run.Code == 0, "losetup (block device tests need loop devices): " + run);
        return new LoopDevice(run.Stdout.Trim());
    }

    private sealed class LoopDevice(string path) : IAsyncDisposable
    {
        public string Path { get; } = path;
        public async ValueTask DisposeAsync() => await ExternalTools.RunSeparatelyAsync("losetup", ["--detach", Path], "/", TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task A_block_device_backs_up_and_restores_onto_another_with_its_zero_chunks_as_holes()
    {
        string source = _scratch.Combine("source.img");
        var data = new byte[40 << 20];
        var random = new Random(21);
        random.NextBytes(data.AsSpan(4 << 20, 8 << 20));
        random.NextBytes(data.AsSpan(20 << 20, 1 << 20));
        await File.WriteAllBytesAsync(source, data);
        await using var device = await AttachAsync(source);

        var run = await BunkerCli.RunAsync(_env, "backup", "vm", "--disk", $"vdb={device.Path}", "--vm", "vm-block", "--json");
        Assert.True(run.Code == 0, run.ToString());
        var disk = JsonDocument.Parse(run.Stdout).RootElement.GetProperty("disks")[0];
        Assert.Equal("block", disk.GetProperty("format").GetString());
        Assert.Equal(40L << 20, disk.GetProperty("size").GetInt64());
        Assert.Equal(3, disk.GetProperty("data_chunks").GetInt64());   // 4-8, 8-12 and 20-24 MiB
        Assert.Equal(7, disk.GetProperty("hole_chunks").GetInt64());   // all zeros: recorded, never sent

        // A device that does not read as zeros gets the holes written; told it is zeroed, they are left alone.
        string target = _scratch.Combine("target.img");
        await File.WriteAllBytesAsync(target, Enumerable.Repeat((byte)0xee, 40 << 20).ToArray());
        await using (var into = await AttachAsync(target))
        {
            var restore = await BunkerCli.RunAsync(_env, "restore", "vm", "latest", "--vm", "vm-block", "--to", into.Path, "--parallel", "3");
            Assert.True(restore.Code == 0, restore.ToString());
        }
        var restored = await File.ReadAllBytesAsync(target);
        Assert.True(data.AsSpan().SequenceEqual(restored), "the restored device differs from the source");

        await File.WriteAllBytesAsync(target, Enumerable.Repeat((byte)0xee, 40 << 20).ToArray());
        await using (var into = await AttachAsync(target))
        {
            var restore = await BunkerCli.RunAsync(_env, "restore", "vm", "latest", "--vm", "vm-block", "--to", into.Path, "--target-zeroed");
            Assert.True(restore.Code == 0, restore.ToString());
        }
        var zeroed = await File.ReadAllBytesAsync(target);
        Assert.True(data.AsSpan(4 << 20, 8 << 20).SequenceEqual(zeroed.AsSpan(4 << 20, 8 << 20)));
        Assert.All(zeroed.AsSpan(0, 4 << 20).ToArray().Distinct(), b => Assert.Equal(0xee, b));
    }

    [Fact]
    public async Task Bad_disks_and_targets_are_refused_with_a_reason()
    {
        var noEquals = await BunkerCli.RunAsync(_env, "backup", "vm", "--disk", "/var/tmp/x.raw");
        Assert.Equal(2, noEquals.Code);
        Assert.Contains("NAME=SOURCE", noEquals.Stderr);
        var badName = await BunkerCli.RunAsync(_env, "backup", "vm", "--disk", "../a=/var/tmp/x.raw");
        Assert.Equal(2, badName.Code);
        var twice = await BunkerCli.RunAsync(_env, "backup", "vm", "--disk", "a=/x", "--disk", "a=/y");
        Assert.Equal(2, twice.Code);
        var directory = await BunkerCli.RunAsync(_env, "backup", "vm", "--disk", $"a={_scratch.Path}");
        Assert.Equal(2, directory.Code);
        Assert.Contains("Directory", directory.Stderr);
        var missing = await BunkerCli.RunAsync(_env, "backup", "vm", "--disk", $"a={_scratch.Combine("nope.raw")}");
        Assert.Equal(1, missing.Code);

        string image = _scratch.Combine("small.raw");
        WriteRandom(image, 5 << 20, seed: 7);
        Assert.Equal(0, (await BunkerCli.RunAsync(_env, "backup", "vm", "--disk", $"a={image}", "--vm", "small")).Code);
        var exists = await BunkerCli.RunAsync(_env, "restore", "vm", "latest", "--to", image);
        Assert.Equal(2, exists.Code);
        Assert.Contains("exists", exists.Stderr);
        var noDisk = await BunkerCli.RunAsync(_env, "restore", "vm", "latest", "--disk", "b", "--to", _scratch.Combine("out.raw"));
        Assert.Equal(1, noDisk.Code);
        Assert.Contains("no disk 'b'", noDisk.Stderr);
        Assert.False(File.Exists(_scratch.Combine("out.raw")));
    }
}
