using Bunker.Chunking;
using Bunker.Protocol.V1;
using Bunker.Tests.Shared;

namespace Bunker.Server.Tests.FilesRestore;

/// <summary>
/// Restores of real trees, checked by tests/tools/filetree.py's manifest (an oracle written apart from the code):
/// content bit for bit, types, modes, owners, mtimes in ns, xattrs, symlink targets, device numbers, hardlink groups, holes.
/// </summary>
public sealed class RoundTripTests : IAsyncLifetime
{
    private RestoreHarness _h = null!;

    public async Task InitializeAsync() => _h = await RestoreHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    private async Task<SnapshotInfo> SnapshotOfEdgeCaseTreeAsync(string source)
    {
        await FileTrees.MakeEdgeCasesAsync(source);
        return await _h.BuildAsync(await TreeSnapshot.DescribeAsync(source, new FileSnapshotBuilder()));
    }

    [Fact]
    public async Task The_edge_case_tree_comes_back_entry_for_entry()
    {
        var source = _h.Path("source");
        var snapshot = await SnapshotOfEdgeCaseTreeAsync(source);
        var target = _h.Path("target");

        var result = await _h.RestoreAsync(snapshot, target);

        Assert.Empty(result.Warnings);
        FileTrees.AssertSameTree(await RestoreHarness.ManifestAsync(source), await RestoreHarness.ManifestAsync(target));
        // 3 further names of hardlinked files and 5 symlinks; a fifo and two devices.
        Assert.Equal(8, result.Links);
        Assert.Equal(3, result.Special);
        Assert.Equal(0, result.FilesSkipped);
        var sparse = await RestoreHarness.StatAsync(Path.Combine(target, "sparse.img"));
        Assert.Equal(64L << 20, sparse.Size);
        Assert.True(sparse.Blocks * 512 < 4L << 20, $"sparse.img takes {sparse.Blocks} blocks: its holes were written");
        var zeros = await RestoreHarness.StatAsync(Path.Combine(target, "zeros.bin"));
        Assert.True(zeros.Blocks < 64, $"zeros.bin takes {zeros.Blocks} blocks: its zero runs were written");
        var hardA = await RestoreHarness.StatAsync(Path.Combine(target, "hard-a"));
        var hardB = await RestoreHarness.StatAsync(Path.Combine(target, "docs", "hard-b"));
        Assert.Equal(hardA.Inode, hardB.Inode);
        Assert.Equal(3, hardA.Links);
    }

    [Fact]
    public async Task One_stream_and_eight_give_the_same_tree_and_verify_passes()
    {
        var source = _h.Path("source");
        var snapshot = await SnapshotOfEdgeCaseTreeAsync(source);

        var one = await _h.RestoreAsync(snapshot, _h.Path("one"), parallel: 1, verify: true);
        var eight = await _h.RestoreAsync(snapshot, _h.Path("eight"), parallel: 8, verify: true);

        Assert.Equal(await RestoreHarness.ManifestAsync(_h.Path("one")), await RestoreHarness.ManifestAsync(_h.Path("eight")));
        Assert.Equal(one with { Warnings = [] }, eight with { Warnings = [] });
        Assert.Empty(one.Warnings);
        Assert.Empty(eight.Warnings);
    }

    [Fact]
    public async Task Random_multi_chunk_files_come_back_bit_for_bit_with_shared_chunks_fetched_once()
    {
        var random = new Random(41);
        var big = new byte[9 << 20];
        random.NextBytes(big);
        var small = new byte[100_000];
        random.NextBytes(small);
        // One file spans many chunks, and the batches see the same chunk in three files.
        var builder = new FileSnapshotBuilder()
            .Directory("a", mode: 0x1C0, mtime: 1_000_000_000_987_654_321)
            .File("a/big.bin", big)
            .File("a/copy.bin", big)
            .File("b/big-again.bin", big, mode: 0x1ED)
            .File("b/small.bin", small, mtime: -1_234_567_891);
        var snapshot = await _h.BuildAsync(builder);
        var target = _h.Path("target");

        var result = await _h.RestoreAsync(snapshot, target, parallel: 3);

        Assert.Equal(big, await File.ReadAllBytesAsync(Path.Combine(target, "a", "big.bin")));
        Assert.Equal(big, await File.ReadAllBytesAsync(Path.Combine(target, "a", "copy.bin")));
        Assert.Equal(big, await File.ReadAllBytesAsync(Path.Combine(target, "b", "big-again.bin")));
        Assert.Equal(small, await File.ReadAllBytesAsync(Path.Combine(target, "b", "small.bin")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherExecute, File.GetUnixFileMode(Path.Combine(target, "b", "big-again.bin")));
        // A time before 1970, to the tick (.NET keeps 100 ns): the nanoseconds are floored, not truncated toward zero.
        Assert.Equal(DateTime.UnixEpoch.AddTicks(-1_234_567_891 / 100 - 1), File.GetLastWriteTimeUtc(Path.Combine(target, "b", "small.bin")));
        Assert.Equal(4, result.Files);
        // "a" is in the catalog; "b" is not, so it is made plainly and not counted.
        Assert.Equal(1, result.Directories);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(target, "a")));
        Assert.Equal(DateTime.UnixEpoch.AddTicks(1_000_000_000_987_654_321 / 100), Directory.GetLastWriteTimeUtc(Path.Combine(target, "a")));
        int distinctChunks = FileSnapshotBuilder.Cut(new FastCdcChunker(builder.Chunking), big).Count + FileSnapshotBuilder.Cut(new FastCdcChunker(builder.Chunking), small).Count;
        Assert.Equal(distinctChunks, result.ChunksFetched);
        Assert.Equal(3L * big.Length + small.Length, result.BytesWritten);
    }

    [Fact]
    public async Task Holes_and_zero_runs_take_no_space()
    {
        var data = new byte[300_000];
        new Random(5).NextBytes(data);
        var mostlyZeros = new byte[24 << 20];
        data.CopyTo(mostlyZeros, 8 << 20);
        var builder = new FileSnapshotBuilder()
            .Sparse("disk.img", 1L << 30, (4096, data), (512L << 20, data))
            .File("zeros-with-data.bin", mostlyZeros);
        var snapshot = await _h.BuildAsync(builder);
        var target = _h.Path("target");

        await _h.RestoreAsync(snapshot, target);

        var disk = await RestoreHarness.StatAsync(Path.Combine(target, "disk.img"));
        Assert.Equal(1L << 30, disk.Size);
        Assert.True(disk.Blocks * 512 < 2 << 20, $"disk.img takes {disk.Blocks} blocks of 512 bytes");
        using (var file = File.OpenRead(Path.Combine(target, "disk.img")))
        {
            var back = new byte[data.Length];
            file.Position = 4096;
            file.ReadExactly(back);
            Assert.Equal(data, back);
            file.Position = 512L << 20;
            file.ReadExactly(back);
            Assert.Equal(data, back);
            file.Position = 100 << 20;
            file.ReadExactly(back);
            Assert.All(back, b => Assert.Equal(0, b));
        }
        var zeros = await RestoreHarness.StatAsync(Path.Combine(target, "zeros-with-data.bin"));
        Assert.True(zeros.Blocks * 512 < 2 << 20, $"zeros-with-data.bin takes {zeros.Blocks} blocks of 512 bytes");
        Assert.Equal(mostlyZeros, await File.ReadAllBytesAsync(Path.Combine(target, "zeros-with-data.bin")));
    }
}
