using Bunker.Protocol.V1;
using Bunker.Tests.Shared;
using Google.Protobuf;

namespace Bunker.Server.Tests.FilesRestore;

/// <summary>
/// Catalogs a backup would never write, and targets someone has prepared: each hostile catalog is refused with
/// an error naming the entry, and nothing is ever written outside the target (a sentinel directory beside it stays empty).
/// </summary>
public sealed class HostileCatalogTests : IAsyncLifetime
{
    private RestoreHarness _h = null!;
    private string _target = null!;
    private string _outside = null!;

    public async Task InitializeAsync()
    {
        _h = await RestoreHarness.StartAsync();
        _target = _h.Path("box", "target");
        _outside = _h.Path("box", "outside");
        Directory.CreateDirectory(_target);
        Directory.CreateDirectory(_outside);
    }

    public async Task DisposeAsync() => await _h.DisposeAsync();

    private static readonly byte[] Content = "content"u8.ToArray();

    private void AssertNothingOutside()
    {
        Assert.Empty(Directory.EnumerateFileSystemEntries(_outside));
        Assert.Equal([_outside, _target], Directory.EnumerateFileSystemEntries(_h.Path("box")).Order());
    }

    private async Task<string> RefusedAsync(FileSnapshotBuilder builder)
    {
        var snapshot = await _h.BuildAsync(builder);
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => _h.RestoreAsync(snapshot, _target));
        AssertNothingOutside();
        return error.Message;
    }

    private static FileSnapshotBuilder RawFile(byte[] path) => new FileSnapshotBuilder { Raw = true }
        .File("aaa", Content)
        .Add(new CatalogEntry(FileSnapshotBuilder.Base(path, EntryType.File, 0x1A4, FileSnapshotBuilder.DefaultTime)) { Size = (ulong)Content.Length }, Content);

    [Theory]
    [InlineData("../x", "'..' component")]
    [InlineData("a/../../x", "'..' component")]
    [InlineData("a/./x", "'.' component")]
    [InlineData("a//x", "empty component")]
    public async Task A_path_with_dot_dot_dot_or_empty_components_is_refused(string path, string reason)
    {
        var message = await RefusedAsync(RawFile(FileSnapshotBuilder.Bytes(path)));
        Assert.Contains($"'{path}'", message);
        Assert.Contains(reason, message);
    }

    [Fact]
    public async Task An_absolute_path_is_refused_and_nothing_appears_there()
    {
        var absolute = Path.Combine(_outside, "absolute");
        var message = await RefusedAsync(RawFile(FileSnapshotBuilder.Bytes(absolute)));
        Assert.Contains($"'{absolute}'", message);
        Assert.Contains("absolute", message);
        Assert.False(File.Exists(absolute));
    }

    [Fact]
    public async Task A_NUL_byte_in_a_path_is_refused()
    {
        var message = await RefusedAsync(RawFile([(byte)'b', 0, (byte)'c']));
        Assert.Contains(@"'b\x00c'", message);
        Assert.Contains("NUL", message);
    }

    [Fact]
    public async Task Entries_out_of_order_are_refused()
    {
        var builder = new FileSnapshotBuilder { Raw = true }.File("b", Content).File("a", Content);
        var message = await RefusedAsync(builder);
        Assert.Contains("'a' is out of order", message);
    }

    [Fact]
    public async Task A_path_through_a_symlink_the_catalog_made_is_refused()
    {
        var builder = new FileSnapshotBuilder().Symlink("d", _outside).File("d/file", Content);
        var message = await RefusedAsync(builder);
        Assert.Contains("'d/file' is refused: it lies below 'd', which the catalog makes a symlink", message);
    }

    [Fact]
    public async Task A_path_below_a_regular_file_of_the_catalog_is_refused()
    {
        var builder = new FileSnapshotBuilder().File("f", Content).File("f/inside", Content);
        var message = await RefusedAsync(builder);
        Assert.Contains("'f/inside' is refused: it lies below 'f', which the catalog makes a regular file", message);
    }

    [Theory]
    [InlineData("etc/passwd", "not an earlier regular file")]
    [InlineData("../outside/x", "unsafe")]
    [InlineData("/etc/passwd", "unsafe")]
    [InlineData("z-later", "not an earlier regular file")]
    [InlineData("dir", "not an earlier regular file")]
    public async Task A_hardlink_to_anything_but_an_earlier_file_of_the_snapshot_is_refused(string target, string reason)
    {
        var builder = new FileSnapshotBuilder()
            .Directory("dir")
            .File("first", Content, links: 2)
            .Hardlink("link", target, (ulong)Content.Length)
            .File("z-later", Content, links: 2);
        var message = await RefusedAsync(builder);
        Assert.Contains($"'link' is refused: its hardlink target '{target}'", message);
        Assert.Contains(reason, message);
    }

    [Fact]
    public async Task Two_files_claiming_the_same_payload_chunks_are_refused()
    {
        var builder = new FileSnapshotBuilder
        {
            Tamper = entries => entries[1].FirstChunk = entries[0].FirstChunk,
        }.File("a", Content).File("b", "other content"u8.ToArray());
        var message = await RefusedAsync(builder);
        Assert.Contains("'b' is refused: its content starts at payload chunk 0, inside an earlier file's run", message);
    }

    [Theory]
    [InlineData(3UL)]
    [InlineData(100UL)]
    public async Task Content_that_does_not_add_up_to_the_size_is_refused(ulong size)
    {
        var builder = new FileSnapshotBuilder { Tamper = entries => entries[0].Size = size }.File("a", Content);
        var message = await RefusedAsync(builder);
        Assert.Contains($"'a' is refused: its 1 payload chunks do not hold exactly its {size} bytes", message);
    }

    [Fact]
    public async Task Extents_past_the_size_are_refused()
    {
        var builder = new FileSnapshotBuilder
        {
            Tamper = entries => entries[0].Extents.Add(new Extent { Offset = 10, Length = 7 }),
        }.File("a", Content);
        var message = await RefusedAsync(builder);
        Assert.Contains("'a' is refused: its extent [10, +7) overlaps the previous one or runs past its size 7", message);
    }

    [Fact]
    public async Task A_symlink_in_the_target_where_the_catalog_has_a_directory_is_replaced_not_followed()
    {
        File.CreateSymbolicLink(Path.Combine(_target, "docs"), _outside);
        var snapshot = await _h.BuildAsync(new FileSnapshotBuilder().Directory("docs").File("docs/file", Content));

        var result = await _h.RestoreAsync(snapshot, _target);

        Assert.Empty(result.Warnings);
        AssertNothingOutside();
        Assert.Null(new DirectoryInfo(Path.Combine(_target, "docs")).LinkTarget);
        Assert.Equal(Content, await File.ReadAllBytesAsync(Path.Combine(_target, "docs", "file")));
    }

    [Fact]
    public async Task A_symlink_in_the_target_where_a_directory_is_implied_is_a_warning_and_not_followed()
    {
        File.CreateSymbolicLink(Path.Combine(_target, "implied"), _outside);
        var snapshot = await _h.BuildAsync(new FileSnapshotBuilder().File("implied/file", Content).File("other", Content));

        var result = await _h.RestoreAsync(snapshot, _target);

        AssertNothingOutside();
        var warning = Assert.Single(result.Warnings);
        Assert.Equal("implied", warning.Path);
        Assert.Contains("not a directory (a symlink is never followed)", warning.Message);
        Assert.Equal(Content, await File.ReadAllBytesAsync(Path.Combine(_target, "other")));
    }

    [Fact]
    public async Task Files_in_the_target_that_are_symlinks_or_hardlinks_to_files_outside_are_replaced_not_written_through()
    {
        var victims = _h.Path("victims");
        Directory.CreateDirectory(victims);
        await File.WriteAllTextAsync(Path.Combine(victims, "by-symlink"), "precious");
        await File.WriteAllTextAsync(Path.Combine(victims, "by-hardlink"), "precious");
        File.CreateSymbolicLink(Path.Combine(_target, "a"), Path.Combine(victims, "by-symlink"));
        var linked = await Bunker.Tests.Shared.ExternalTools.RunSeparatelyAsync("ln", [Path.Combine(victims, "by-hardlink"), Path.Combine(_target, "b")], "/", TimeSpan.FromSeconds(30));
        Assert.Equal(0, linked.Code);
        File.CreateSymbolicLink(Path.Combine(_target, "c"), Path.Combine(victims, "by-symlink"));
        var snapshot = await _h.BuildAsync(new FileSnapshotBuilder().File("a", Content).File("b", Content).Symlink("c", "elsewhere"));

        var result = await _h.RestoreAsync(snapshot, _target);

        Assert.Empty(result.Warnings);
        Assert.Equal("precious", await File.ReadAllTextAsync(Path.Combine(victims, "by-symlink")));
        Assert.Equal("precious", await File.ReadAllTextAsync(Path.Combine(victims, "by-hardlink")));
        Assert.Equal(Content, await File.ReadAllBytesAsync(Path.Combine(_target, "a")));
        Assert.Equal(Content, await File.ReadAllBytesAsync(Path.Combine(_target, "b")));
        Assert.Equal("elsewhere", new FileInfo(Path.Combine(_target, "c")).LinkTarget);
    }
}
