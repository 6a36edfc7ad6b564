using Bunker.Client.Files.Backup;
using Bunker.Client.Files.Native;
using Bunker.Protocol.V1;
using Bunker.Tests.Shared;

namespace Bunker.Client.Tests.Files.Backup;

/// <summary>The glibc layer on real files: what lstat, extents, xattrs, readlink and owner lookups report.</summary>
public sealed class NativeFilesTests
{
    private static byte[] P(string path) => FileTrees.Bytes(path);

    [Fact]
    public async Task Lstat_reports_every_type_with_device_numbers_links_and_nanosecond_times()
    {
        using var scratch = FileTrees.Scratch("native-stat");
        var root = scratch.Combine("tree");
        await FileTrees.MakeEdgeCasesAsync(root);

        Assert.Equal(EntryType.Fifo, NativeFiles.Lstat(P(root + "/fifo")).Type);
        var chr = NativeFiles.Lstat(P(root + "/char-null"));
        Assert.Equal(EntryType.CharDevice, chr.Type);
        Assert.Equal(FileStatus.MakeDevice(1, 3), chr.Rdev);
        var blk = NativeFiles.Lstat(P(root + "/block-loop"));
        Assert.Equal(EntryType.BlockDevice, blk.Type);
        Assert.Equal(FileStatus.MakeDevice(7, 200), blk.Rdev);
        var mode = (await FileTrees.PythonAsync("import os,stat,sys; print(stat.S_IMODE(os.lstat(sys.argv[1]).st_mode))", root + "/block-loop")).Trim();
        Assert.Equal(uint.Parse(mode, System.Globalization.CultureInfo.InvariantCulture), blk.Mode);
        Assert.Equal(EntryType.Symlink, NativeFiles.Lstat(P(root + "/link-to-dir")).Type);
        Assert.Equal(EntryType.Directory, NativeFiles.StatFollowing(P(root + "/link-to-dir")).Type);
        var setuid = NativeFiles.Lstat(P(root + "/setuid"));
        Assert.Equal(Convert.ToUInt32("4755", 8), setuid.Mode);
        var small = NativeFiles.Lstat(P(root + "/small.txt"));
        Assert.Equal(EntryType.File, small.Type);
        Assert.Equal(14, small.Size);
        Assert.Equal(3ul, NativeFiles.Lstat(P(root + "/hard-a")).Links);
        var owned = NativeFiles.Lstat(P(root + "/owned"));
        Assert.Equal((1234u, 5678u), (owned.Uid, owned.Gid));
        // The same nanoseconds as Python's st_mtime_ns.
        var ns = (await FileTrees.PythonAsync("import os,sys; print(os.lstat(sys.argv[1]).st_mtime_ns)", root + "/small.txt")).Trim();
        Assert.Equal(long.Parse(ns, System.Globalization.CultureInfo.InvariantCulture), small.MtimeNanos);
        var missing = Assert.Throws<FileSystemException>(() => NativeFiles.Lstat(P(root + "/absent")));
        Assert.Equal(LibC.ENOENT, missing.Errno);
        Assert.Equal("lstat: No such file or directory", missing.Message);
    }

    [Fact]
    public async Task A_sparse_file_reports_its_data_extents_and_a_dense_one_needs_no_look()
    {
        using var scratch = FileTrees.Scratch("native-sparse");
        var root = scratch.Combine("tree");
        await FileTrees.MakeEdgeCasesAsync(root);

        var sparse = NativeFiles.Lstat(P(root + "/sparse.img"));
        Assert.True(sparse.MayBeSparse);
        using var file = NativeFiles.OpenForReading(P(root + "/sparse.img"));
        var extents = NativeFiles.DataExtents(file, sparse.Size)!;
        // Data at 0, 10 MiB and 40 MiB + 12345, 200,000 bytes each, rounded out to whole blocks.
        Assert.Equal(3, extents.Count);
        long[] written = [0, 10 << 20, (40 << 20) + 12345];
        for (int i = 0; i < 3; i++)
        {
            Assert.InRange(extents[i].Offset, written[i] - 4096, written[i]);
            Assert.InRange(extents[i].Offset + extents[i].Length, written[i] + 200_000, written[i] + 200_000 + 4096);
        }
        Assert.False(NativeFiles.Lstat(P(root + "/zeros.bin")).MayBeSparse); // written zeros: allocated, read as one run
    }

    [Fact]
    public async Task Xattrs_are_read_sorted_with_binary_and_empty_values()
    {
        using var scratch = FileTrees.Scratch("native-xattr");
        var root = scratch.Combine("tree");
        await FileTrees.MakeEdgeCasesAsync(root); // it sets user.* attributes and fails if the file system refuses them

        var small = NativeFiles.ReadXattrs(P(root + "/small.txt"));
        Assert.Equal(["user.binary", "user.comment"], small.Select(x => System.Text.Encoding.ASCII.GetString(x.Name)));
        Assert.Equal(Enumerable.Range(0, 256).Select(i => (byte)i), small[0].Value);
        Assert.Equal("a note"u8.ToArray(), small[1].Value);
        var docs = Assert.Single(NativeFiles.ReadXattrs(P(root + "/docs")));
        Assert.Empty(docs.Value);
        Assert.Empty(NativeFiles.ReadXattrs(P(root + "/private")));
        Assert.Empty(NativeFiles.ReadXattrs(P(root + "/link-dangling"))); // the link itself, never its target
    }

    [Fact]
    public async Task Readlink_gives_the_target_bytes_and_open_refuses_to_follow_a_symlink()
    {
        using var scratch = FileTrees.Scratch("native-link");
        await FileTrees.PythonAsync("import os,sys; os.symlink(b'target-\\xff', os.fsencode(sys.argv[1]))", scratch.Combine("link"));

        Assert.Equal((byte[])[.. "target-"u8, 0xff], NativeFiles.ReadLink(P(scratch.Combine("link"))));
        var refused = Assert.Throws<FileSystemException>(() => NativeFiles.OpenForReading(P(scratch.Combine("link"))));
        Assert.StartsWith("open: ", refused.Message);
    }

    [Fact]
    public void Directory_listing_and_owner_names()
    {
        using var scratch = FileTrees.Scratch("native-list");
        for (int i = 0; i < 3000; i++) File.WriteAllText(scratch.Combine($"f{i:D4}"), ""); // more than one getdents64 buffer
        var names = DirectoryReader.ListNames(P(scratch.Path));
        Assert.Equal(3000, names.Count);
        Assert.Equal(Enumerable.Range(0, 3000).Select(i => $"f{i:D4}"), names.Select(n => System.Text.Encoding.ASCII.GetString(n)).Order());

        var owners = new OwnerNames();
        Assert.Equal("root", owners.User(0));
        Assert.Equal("root", owners.Group(0));
        Assert.Equal("", owners.User(4_000_000)); // no such user: the id alone is kept
    }

    [Fact]
    public async Task The_entry_of_each_kind_carries_what_a_restore_needs()
    {
        using var scratch = FileTrees.Scratch("native-entry");
        var root = scratch.Combine("tree");
        await FileTrees.MakeEdgeCasesAsync(root);
        var metadata = new EntryMetadata(new OwnerNames());
        CatalogEntry Describe(string name)
        {
            var path = P(root + "/" + name);
            var entry = metadata.Describe(new WalkEntry(path, NativeFiles.Lstat(path)), out var warning);
            Assert.Null(warning);
            return entry;
        }

        var link = Describe("link-relative");
        Assert.Equal("small.txt", link.SymlinkTarget.ToStringUtf8());
        Assert.Equal((4321u, 8765u), (link.Uid, link.Gid));
        Assert.Equal(FileStatus.MakeDevice(7, 200), Describe("block-loop").Rdev);
        var small = Describe("small.txt");
        var ns = (await FileTrees.PythonAsync("import os,sys; print(os.lstat(sys.argv[1]).st_mtime_ns)", root + "/small.txt")).Trim();
        Assert.Equal(long.Parse(ns, System.Globalization.CultureInfo.InvariantCulture), small.MtimeUnixNanos);
        Assert.Equal(2, small.Xattrs.Count);
        Assert.Equal(0, small.AtimeUnixNanos); // left out on purpose, see EntryMetadata
        Assert.Equal("root", small.User);
        Assert.Equal(14ul, small.Size);
    }
}
