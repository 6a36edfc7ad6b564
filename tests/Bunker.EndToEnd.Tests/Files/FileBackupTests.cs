using Bunker.Client.Files;
using Bunker.Client.Files.Backup;
using Bunker.Client.Files.Catalog;
using Bunker.Client.Files.Native;
using Bunker.Protocol.V1;
using Bunker.Tests.Shared;
using Google.Protobuf;

namespace Bunker.EndToEnd.Tests.Files;

/// <summary>
/// File backups end to end against a daemon: what the catalog and payload hold, incrementals that read and upload
/// nothing unchanged, and files that vanish or change under the backup.
/// </summary>
public sealed class FileBackupTests : IAsyncLifetime
{
    private FileBackups _b = null!;

    public async Task InitializeAsync() => _b = await FileBackups.StartAsync();

    public async Task DisposeAsync() => await _b.DisposeAsync();

    private static string Relative(string absolute) => absolute.TrimStart('/');

    private static CatalogEntry At(List<CatalogEntry> catalog, byte[] path) =>
        catalog.Single(e => e.Path.Span.SequenceEqual(path));

    private static CatalogEntry At(List<CatalogEntry> catalog, string path) => At(catalog, FileTrees.Bytes(path));

    [Fact]
    public async Task A_backup_keeps_every_edge_case_and_each_files_bytes()
    {
        using var scratch = FileTrees.Scratch("backup-edges");
        var root = scratch.Combine("tree");
        await FileTrees.MakeEdgeCasesAsync(root);

        var result = await _b.RunAsync(root);
        var catalog = await _b.CatalogAsync(result.Snapshot);

        Assert.Empty(result.Warnings);
        Assert.Null(result.ParentId);
        Assert.Equal("files", result.Snapshot.SourceKind);
        Assert.Equal(root, result.Snapshot.SourceId);
        Assert.Equal([root], result.Snapshot.Paths);
        Assert.Equal(["catalog", "payload"], result.Snapshot.Manifest.Archives.Select(a => a.Name));
        var r = Relative(root);
        var listed = await FileTrees.ListAsync(root);
        Assert.Equal(listed.Select(p => CatalogPath.Display(CatalogPath.Join(FileTrees.Bytes(r), p))).Order(),
            catalog.Where(e => CatalogPath.IsWithin(e.Path.Span, FileTrees.Bytes(r)) && e.Path.Length > r.Length).Select(e => CatalogPath.Display(e.Path.Span)).Order());

        // Every regular file with content reads back byte for byte, the sparse one with its holes in place.
        foreach (var entry in catalog.Where(e => e.Type == EntryType.File && e.HardlinkTarget.IsEmpty))
        {
            var source = "/" + CatalogPath.Display(entry.Path.Span);
            var path = (byte[])[(byte)'/', .. entry.Path.Span];
            Assert.Equal(await Sha256Async(path), await _b.ContentSha256Async(result.Snapshot, entry));
            Assert.False(entry.ChangedDuringBackup, source);
        }
        var sparse = At(catalog, r + "/sparse.img");
        Assert.Equal(3, sparse.Extents.Count);
        Assert.Equal(64ul << 20, sparse.Size);
        Assert.Empty(At(catalog, r + "/zeros.bin").Extents);

        // Three names of one inode: the first in catalog order has the content, the others point to it.
        byte[] first = [.. FileTrees.Bytes(r + "/dir-"), 0x80, 0x81, .. "/hard-c"u8];
        Assert.True(At(catalog, first).HardlinkTarget.IsEmpty);
        Assert.Equal(first, At(catalog, r + "/docs/hard-b").HardlinkTarget.ToByteArray());
        Assert.Equal(first, At(catalog, r + "/hard-a").HardlinkTarget.ToByteArray());
        Assert.Equal(0ul, At(catalog, r + "/hard-a").ChunkCount);
        Assert.Equal(FileTrees.Bytes(r + "/pair-1"), At(catalog, r + "/pair-2").HardlinkTarget.ToByteArray());

        Assert.Equal(EntryType.Fifo, At(catalog, r + "/fifo").Type);
        Assert.Equal(FileStatus.MakeDevice(1, 3), At(catalog, r + "/char-null").Rdev);
        Assert.Equal(EntryType.BlockDevice, At(catalog, r + "/block-loop").Type);
        Assert.Equal("../../outside", At(catalog, r + "/docs/link-up").SymlinkTarget.ToStringUtf8());
        var small = At(catalog, r + "/small.txt");
        Assert.Equal(["user.binary", "user.comment"], small.Xattrs.Select(x => x.Name.ToStringUtf8()));
        Assert.Equal("a note", small.Xattrs[1].Value.ToStringUtf8());
        Assert.Equal("", At(catalog, r + "/owned").User); // uid 1234 is nobody's here: the id is what counts
        Assert.Equal(1234u, At(catalog, r + "/owned").Uid);
        // The directories above the root come first, recorded as directories.
        Assert.Equal(["var", "var/tmp", Relative(scratch.Path), r], catalog.Take(4).Select(e => CatalogPath.Display(e.Path.Span)));
        Assert.All(catalog.Take(4), e => Assert.Equal(EntryType.Directory, e.Type));
        // Above the root only what recreating the path needs: no times or link counts, which move with unrelated files.
        Assert.All(catalog.Take(3), e => Assert.Equal((0L, 0L, 0ul), (e.MtimeUnixNanos, e.CtimeUnixNanos, e.Links)));
        Assert.NotEqual(0L, catalog[3].MtimeUnixNanos);
        // Payload offsets follow each other in catalog order.
        ulong offset = 0, chunk = 0;
        foreach (var entry in catalog.Where(e => e.Type == EntryType.File && e.HardlinkTarget.IsEmpty))
        {
            Assert.Equal((offset, chunk), (entry.PayloadOffset, entry.FirstChunk));
            offset += entry.Extents.Count == 0 ? entry.Size : (ulong)entry.Extents.Sum(e => (long)e.Length);
            chunk += entry.ChunkCount;
        }
        Assert.Equal(result.Snapshot.Manifest.Archives[1].Size, offset);
        Assert.Equal(result.Snapshot.Manifest.Archives[1].ChunkCount, chunk);
    }

    [Fact]
    public async Task A_second_backup_with_no_change_reads_no_file_and_uploads_no_chunk()
    {
        using var scratch = FileTrees.Scratch("backup-nochange");
        var root = scratch.Combine("tree");
        await FileTrees.MakeEdgeCasesAsync(root);

        var first = await _b.RunAsync(root);
        // Beside the tree, not in it: the directory above the root changes, which is no change to the backup.
        File.WriteAllText(scratch.Combine("beside-the-tree"), "x");
        var second = await _b.RunAsync(root);

        Assert.Equal(Convert.ToHexStringLower(first.Snapshot.Id.Span), second.ParentId);
        Assert.Equal(0, second.BytesRead);
        Assert.Equal(0, second.Upload.ChunksUploaded);
        Assert.Equal(0, second.FilesNew + second.FilesChanged);
        Assert.Equal(first.FilesNew, second.FilesUnchanged);
        Assert.Equal(first.Snapshot.Size, second.Snapshot.Size);
        var catalog = await _b.CatalogAsync(second.Snapshot);
        var sparse = At(catalog, Relative(root) + "/sparse.img");
        Assert.Equal(await Sha256Async(FileTrees.Bytes(root + "/sparse.img")), await _b.ContentSha256Async(second.Snapshot, sparse));
        Assert.Equal(3, sparse.Extents.Count);
    }

    [Fact]
    public async Task A_file_whose_ctime_or_inode_moved_is_read_again_even_with_its_size_and_mtime_put_back()
    {
        using var scratch = FileTrees.Scratch("backup-ctime");
        string root = scratch.Combine("tree");
        Directory.CreateDirectory(root);
        string edited = Path.Combine(root, "edited.txt"), replaced = Path.Combine(root, "replaced.txt"), kept = Path.Combine(root, "kept.txt");
        File.WriteAllText(edited, "original content");
        File.WriteAllText(replaced, "replaced content");
        File.WriteAllText(kept, "kept content");
        var mtime = new DateTime(2025, 3, 4, 5, 6, 7, DateTimeKind.Utc);
        foreach (var path in new[] { edited, replaced, kept }) File.SetLastWriteTimeUtc(path, mtime);
        await _b.RunAsync(root);

        // Same size, same mtime, other bytes: only the ctime tells (as after a careless 'touch -d').
        File.WriteAllText(edited, "modified content");
        File.SetLastWriteTimeUtc(edited, mtime);
        // Same size, mtime and bytes, but a new file renamed over the old one: another inode.
        File.WriteAllText(replaced + ".new", "replaced content");
        File.SetLastWriteTimeUtc(replaced + ".new", mtime);
        File.Move(replaced + ".new", replaced, overwrite: true);

        var second = await _b.RunAsync(root);
        Assert.Equal(2, second.FilesChanged);
        Assert.Equal(1, second.FilesUnchanged);
        Assert.Equal("modified content".Length + "replaced content".Length, second.BytesRead);
        var catalog = await _b.CatalogAsync(second.Snapshot);
        var entry = At(catalog, Relative(root) + "/edited.txt");
        Assert.Equal(await Sha256Async(FileTrees.Bytes(edited)), await _b.ContentSha256Async(second.Snapshot, entry));
    }

    [Fact]
    public async Task A_one_byte_change_in_a_100_MB_file_uploads_about_one_chunk()
    {
        using var scratch = FileTrees.Scratch("backup-onebyte");
        var big = scratch.Combine("big.bin");
        var block = new byte[1_000_000]; // written a block at a time: no 100 MB array left in this process's heap
        var random = new Random(42);
        await using (var file = File.Create(big))
        {
            for (int i = 0; i < 100; i++)
            {
                random.NextBytes(block);
                await file.WriteAsync(block);
            }
        }
        File.WriteAllText(scratch.Combine("other.txt"), "unchanged");
        var first = await _b.RunAsync(scratch.Path);

        await using (var file = new FileStream(big, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = 55_555_555;
            int old = file.ReadByte();
            file.Position = 55_555_555;
            file.WriteByte((byte)(old ^ 0xff));
        }
        var second = await _b.RunAsync(scratch.Path);

        Assert.Equal((1, 0, 1), (second.FilesChanged, second.FilesNew, second.FilesUnchanged));
        Assert.Equal(100_000_000, second.BytesRead);
        Assert.InRange(second.Upload.ChunksUploaded, 1, 3); // the changed chunk (maybe its neighbour) and the catalog's
        Assert.InRange(second.Upload.RawBytesUploaded, 1, 10_000_000);
        Assert.True(first.Upload.RawBytesUploaded > 100_000_000);
    }

    [Fact]
    public async Task A_file_deleted_between_the_walk_and_its_read_is_a_warning_and_left_out()
    {
        using var scratch = FileTrees.Scratch("backup-vanish");
        File.WriteAllText(scratch.Combine("a-stays"), "a");
        File.WriteAllText(scratch.Combine("b-vanishes"), "b");
        File.WriteAllText(scratch.Combine("c-stays"), "c");

        var result = await _b.RunAsync(new FileBackupRequest
        {
            Paths = [scratch.Path],
            BeforeOpen = path => { if (path.EndsWith("b-vanishes", StringComparison.Ordinal)) File.Delete(path); },
        });

        var warning = Assert.Single(result.Warnings);
        Assert.Equal(scratch.Combine("b-vanishes"), warning.Path);
        Assert.Contains("No such file or directory", warning.Message);
        Assert.True(result.Incomplete);
        var catalog = await _b.CatalogAsync(result.Snapshot);
        Assert.DoesNotContain(catalog, e => e.Path.ToStringUtf8().EndsWith("b-vanishes", StringComparison.Ordinal));
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("c"u8)),
            await _b.ContentSha256Async(result.Snapshot, At(catalog, Relative(scratch.Combine("c-stays")))));
    }

    [Fact]
    public async Task A_file_that_changes_under_the_backup_is_flagged_and_read_again_next_time()
    {
        using var scratch = FileTrees.Scratch("backup-torn");
        var path = scratch.Combine("growing.log");
        File.WriteAllText(path, "first line\n");

        var result = await _b.RunAsync(new FileBackupRequest
        {
            Paths = [scratch.Path],
            Host = "test-host",
            BeforeOpen = p => { if (p == path) File.AppendAllText(p, "appended after the walk saw the file\n"); },
        });

        var warning = Assert.Single(result.Warnings);
        Assert.Equal(path, warning.Path);
        Assert.Contains("changed while it was read", warning.Message);
        Assert.False(result.Incomplete); // kept, only flagged
        Assert.True(At(await _b.CatalogAsync(result.Snapshot), Relative(path)).ChangedDuringBackup);

        var next = await _b.RunAsync(scratch.Path);
        Assert.Equal((1, 0), (next.FilesChanged, next.FilesUnchanged)); // a torn copy is never carried over
        Assert.Empty(next.Warnings);
    }

    [Fact]
    public async Task Force_reads_everything_and_an_explicit_parent_is_used()
    {
        using var scratch = FileTrees.Scratch("backup-parent");
        File.WriteAllText(scratch.Combine("file"), "content");
        var first = await _b.RunAsync(scratch.Path);

        var forced = await _b.RunAsync(new FileBackupRequest { Paths = [scratch.Path], Host = "test-host", Force = true });
        Assert.Null(forced.ParentId);
        Assert.Equal(7, forced.BytesRead);

        var id = Convert.ToHexStringLower(first.Snapshot.Id.Span);
        var chosen = await _b.RunAsync(new FileBackupRequest { Paths = [scratch.Path], Host = "another-host", Parent = id[..12] });
        Assert.Equal(id, chosen.ParentId);
        Assert.Equal(0, chosen.BytesRead);
    }

    [Fact]
    public async Task Progress_counts_files_and_bytes_and_learns_the_totals()
    {
        using var scratch = FileTrees.Scratch("backup-progress");
        for (int i = 0; i < 20; i++) File.WriteAllBytes(scratch.Combine($"f{i}"), new byte[1000 + i]);
        var progress = new FileProgress();

        await _b.RunAsync(new FileBackupRequest { Paths = [scratch.Path] }, progress);

        var figures = progress.Figures();
        Assert.Equal(20, figures.FilesDone);
        Assert.Equal(20 * 1000 + 190, figures.BytesDone);
        Assert.Equal(20, figures.FilesTotal);
        Assert.Equal(figures.BytesDone, figures.BytesTotal);
    }

    /// <summary>SHA-256 of a file by Python, which opens any byte path (.NET cannot open one that is not UTF-8).</summary>
    private static async Task<string> Sha256Async(byte[] absolutePath) =>
        (await FileTrees.PythonAsync("import hashlib, sys; print(hashlib.sha256(open(bytes.fromhex(sys.argv[1]), 'rb').read()).hexdigest())",
            Convert.ToHexString(absolutePath))).Trim();
}
