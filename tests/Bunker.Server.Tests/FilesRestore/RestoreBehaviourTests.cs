using Bunker.Protocol.V1;
using Bunker.Tests.Shared;

namespace Bunker.Server.Tests.FilesRestore;

/// <summary>Partial restores (--include), resuming an interrupted restore, and --verify.</summary>
public sealed class RestoreBehaviourTests : IAsyncLifetime
{
    private RestoreHarness _h = null!;

    public async Task InitializeAsync() => _h = await RestoreHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static List<string> Tree(string root) =>
        [.. Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(root, p)).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task Include_restores_only_those_paths_and_the_directories_above_them()
    {
        var shared = RandomBytes(300_000, 1);
        var builder = new FileSnapshotBuilder()
            .File("etc/shared", shared, links: 2)
            .Directory("home", mode: 0x1C0, mtime: 1_111_111_111_000_000_001)
            .Directory("home/ann")
            .File("home/ann/a.txt", "a"u8.ToArray())
            .File("home/ann/docs/b.txt", RandomBytes(200_000, 2))
            .Hardlink("home/ann/shared", "etc/shared", (ulong)shared.Length)
            .File("home/ann/x", "x"u8.ToArray(), links: 2)
            .Hardlink("home/ann/y", "home/ann/x", 1)
            .File("home/ann-other/no.txt", "no"u8.ToArray())
            .File("home/bob/c.txt", "c"u8.ToArray())
            .File("var/log/keep.log", "log"u8.ToArray());
        var snapshot = await _h.BuildAsync(builder);
        var target = _h.Path("target");

        var result = await _h.RestoreAsync(snapshot, target, includes: ["/home/ann/", "var/log/keep.log", "/not/backed/up"], verify: true);

        var warning = Assert.Single(result.Warnings);
        Assert.Equal(("/not/backed/up", "--include matched nothing in the snapshot"), (warning.Path, warning.Message));
        Assert.Equal(
            ["home", "home/ann", "home/ann/a.txt", "home/ann/docs", "home/ann/docs/b.txt", "home/ann/shared", "home/ann/x", "home/ann/y", "var", "var/log", "var/log/keep.log"],
            Tree(target));
        // The hardlink whose first name was left out comes back as a file with that content; the other stays a hardlink.
        Assert.Equal(shared, await File.ReadAllBytesAsync(Path.Combine(target, "home", "ann", "shared")));
        Assert.Equal(1, (await RestoreHarness.StatAsync(Path.Combine(target, "home", "ann", "shared"))).Links);
        Assert.Equal((await RestoreHarness.StatAsync(Path.Combine(target, "home", "ann", "x"))).Inode,
            (await RestoreHarness.StatAsync(Path.Combine(target, "home", "ann", "y"))).Inode);
        // "home" is above an include: restored with its own metadata.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(target, "home")));
        Assert.Equal(DateTime.UnixEpoch.AddTicks(1_111_111_111_000_000_001 / 100), Directory.GetLastWriteTimeUtc(Path.Combine(target, "home")));
        Assert.Equal(5, result.Files);
        Assert.Equal(1, result.Links);
        Assert.Equal(2, result.Directories);
    }

    [Fact]
    public async Task Include_must_be_a_safe_path()
    {
        var snapshot = await _h.BuildAsync(new FileSnapshotBuilder().File("a", "a"u8.ToArray()));
        var error = await Assert.ThrowsAsync<ArgumentException>(() => _h.RestoreAsync(snapshot, _h.Path("target"), includes: ["home/../etc"]));
        Assert.Contains("'..' component", error.Message);
    }

    [Fact]
    public async Task A_second_run_rewrites_only_the_files_that_do_not_match()
    {
        var builder = new FileSnapshotBuilder();
        var contents = new Dictionary<string, byte[]>();
        for (int i = 0; i < 8; i++)
        {
            contents[$"dir/file{i}"] = RandomBytes(50_000 + i * 100_000, 10 + i);
            builder.File($"dir/file{i}", contents[$"dir/file{i}"], mtime: FileSnapshotBuilder.DefaultTime + i);
        }
        var snapshot = await _h.BuildAsync(builder);
        var target = _h.Path("target");
        var first = await _h.RestoreAsync(snapshot, target);
        Assert.Equal((8, 0), (first.Files, first.FilesSkipped));

        // As an interrupted run leaves things: one file short, one missing, one with other bytes and a fresh mtime.
        using (var stream = new FileStream(Path.Combine(target, "dir", "file3"), FileMode.Open)) stream.SetLength(1000);
        File.Delete(Path.Combine(target, "dir", "file5"));
        await File.WriteAllBytesAsync(Path.Combine(target, "dir", "file6"), RandomBytes(contents["dir/file6"].Length, 99));

        var second = await _h.RestoreAsync(snapshot, target, verify: true);

        Assert.Empty(second.Warnings);
        Assert.Equal((3, 5), (second.Files, second.FilesSkipped));
        Assert.Equal(contents["dir/file3"].Length + contents["dir/file5"].Length + contents["dir/file6"].Length, second.BytesWritten);
        foreach (var (path, content) in contents)
            Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(target, path)));
    }

    [Fact]
    public async Task Verify_names_a_file_that_changed_after_it_was_written()
    {
        var content = RandomBytes(1_000_000, 3);
        var snapshot = await _h.BuildAsync(new FileSnapshotBuilder().File("good", content).File("sub/bad", content));
        var target = _h.Path("target");

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => _h.RestoreAsync(snapshot, target, verify: true, beforeVerify: () =>
        {
            // Same size, one byte different, in the middle of the file.
            using var file = new FileStream(Path.Combine(target, "sub", "bad"), FileMode.Open);
            file.Position = 600_000;
            file.WriteByte((byte)~content[600_000]);
        }));

        Assert.Contains("verification failed: 1 restored files differ from the snapshot: 'sub/bad': its content differs", error.Message);
        Assert.DoesNotContain("'good'", error.Message);
    }

    [Fact]
    public async Task Verify_names_a_file_that_is_gone()
    {
        var snapshot = await _h.BuildAsync(new FileSnapshotBuilder().File("a", "a"u8.ToArray()).File("b", "b"u8.ToArray()));
        var target = _h.Path("target");

        var error = await Assert.ThrowsAsync<InvalidDataException>(() =>
            _h.RestoreAsync(snapshot, target, verify: true, beforeVerify: () => File.Delete(Path.Combine(target, "b"))));

        Assert.Contains("'b': it cannot be read back", error.Message);
    }

    [Fact]
    public async Task An_attribute_that_cannot_be_set_is_a_warning_and_the_rest_is_restored()
    {
        var file = FileSnapshotBuilder.Base("file"u8.ToArray(), EntryType.File, 0x1A4, FileSnapshotBuilder.DefaultTime);
        file.Size = 4;
        file.Xattrs.Add(new Xattr { Name = Google.Protobuf.ByteString.CopyFromUtf8("bogus.name"), Value = Google.Protobuf.ByteString.CopyFromUtf8("v") });
        file.Xattrs.Add(new Xattr { Name = Google.Protobuf.ByteString.CopyFromUtf8("user.kept"), Value = Google.Protobuf.ByteString.CopyFromUtf8("yes") });
        var link = FileSnapshotBuilder.Base("link"u8.ToArray(), EntryType.Symlink, 0x1FF, FileSnapshotBuilder.DefaultTime);
        link.SymlinkTarget = Google.Protobuf.ByteString.CopyFromUtf8("file");
        // Linux allows user.* attributes on regular files and directories only.
        link.Xattrs.Add(new Xattr { Name = Google.Protobuf.ByteString.CopyFromUtf8("user.on-a-link"), Value = Google.Protobuf.ByteString.CopyFromUtf8("v") });
        var snapshot = await _h.BuildAsync(new FileSnapshotBuilder().Add(file, "data"u8.ToArray()).Add(link, null));
        var target = _h.Path("target");

        var result = await _h.RestoreAsync(snapshot, target);

        Assert.Equal(2, result.Warnings.Count);
        Assert.Contains(result.Warnings, w => w.Path == "file" && w.Message.StartsWith("xattr bogus.name: fsetxattr: ", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.Path == "link" && w.Message.StartsWith("xattr user.on-a-link: lsetxattr: ", StringComparison.Ordinal));
        Assert.Equal("data", await File.ReadAllTextAsync(Path.Combine(target, "file")));
        Assert.Equal(DateTime.UnixEpoch.AddTicks(FileSnapshotBuilder.DefaultTime / 100), File.GetLastWriteTimeUtc(Path.Combine(target, "file")));
        var attributes = await Bunker.Tests.Shared.ExternalTools.RunSeparatelyAsync("python3", ["-c", "import os,sys; print(os.getxattr(sys.argv[1], 'user.kept').decode())", Path.Combine(target, "file")],
            "/", TimeSpan.FromSeconds(30));
        Assert.Equal("yes", attributes.Stdout.Trim());
    }

    [Fact]
    public async Task Special_files_and_owners_are_restored_as_root()
    {
        Assert.Equal("root", Environment.UserName);
        var builder = new FileSnapshotBuilder()
            .Node("fifo", EntryType.Fifo, mode: 0x1A0)
            .Node("null", EntryType.CharDevice, rdev: (1 << 8) | 3, mode: 0x1B6)
            .Node("loop", EntryType.BlockDevice, rdev: (7 << 8) | 200, mode: 0x1B0)
            .Add(new CatalogEntry(FileSnapshotBuilder.Base("owned"u8.ToArray(), EntryType.File, 0x9ED, FileSnapshotBuilder.DefaultTime)) { Uid = 1234, Gid = 5678, Size = 1 }, "o"u8.ToArray())
            .Add(new CatalogEntry(FileSnapshotBuilder.Base("owned-link"u8.ToArray(), EntryType.Symlink, 0x1FF, FileSnapshotBuilder.DefaultTime))
            {
                Uid = 4321, Gid = 8765, SymlinkTarget = Google.Protobuf.ByteString.CopyFromUtf8("owned"),
            }, null);
        var snapshot = await _h.BuildAsync(builder);
        var target = _h.Path("target");

        var result = await _h.RestoreAsync(snapshot, target);

        Assert.Empty(result.Warnings);
        Assert.Equal(3, result.Special);
        var run = await Bunker.Tests.Shared.ExternalTools.RunSeparatelyAsync("stat", ["-c", "%n %F %a %u %g %t:%T", "fifo", "null", "loop", "owned", "owned-link"],
            target, TimeSpan.FromSeconds(30));
        Assert.Equal(
            ["fifo fifo 640 0 0 0:0", "null character special file 666 0 0 1:3", "loop block special file 660 0 0 7:c8",
             "owned regular file 4755 1234 5678 0:0", "owned-link symbolic link 777 4321 8765 0:0"],
            run.Stdout.TrimEnd().Split('\n'));
    }
}
