using Bunker.Client.Files.Backup;
using Bunker.Client.Files.Catalog;
using Bunker.Protocol.V1;
using Bunker.Tests.Shared;

namespace Bunker.Client.Tests.Files.Backup;

/// <summary>The backup walk on a real file system: catalog order, roots and their ancestors, excludes, --one-file-system.</summary>
public sealed class TreeWalkerTests
{
    private static (List<WalkEntry> Entries, List<(string Path, string Message)> Warnings) Walk(
        IEnumerable<string> roots, IEnumerable<string>? excludes = null, bool oneFileSystem = false)
    {
        var warnings = new List<(string, string)>();
        var walker = new TreeWalker(BackupRoots.Create(roots), ExcludeFilter.Create(excludes ?? [], []), oneFileSystem,
            (path, message) => warnings.Add((CatalogPath.Display(path), message)));
        return (walker.Walk().ToList(), warnings);
    }

    private static List<byte[]> Under(List<WalkEntry> entries, string root)
    {
        var prefix = FileTrees.Bytes(root.TrimStart('/'));
        return entries.Where(e => CatalogPath.IsWithin(e.CatalogPath, prefix) && e.CatalogPath.Length > prefix.Length)
            .Select(e => e.CatalogPath[(prefix.Length + 1)..].ToArray()).ToList();
    }

    private static void AssertCatalogOrder(List<WalkEntry> entries)
    {
        for (int i = 1; i < entries.Count; i++)
            Assert.True(CatalogPath.Compare(entries[i - 1].CatalogPath, entries[i].CatalogPath) < 0,
                $"'{CatalogPath.Display(entries[i - 1].CatalogPath)}' came before '{CatalogPath.Display(entries[i].CatalogPath)}'");
    }

    [Fact]
    public async Task The_walk_is_in_catalog_order_finds_every_file_and_starts_with_the_directories_above_the_root()
    {
        using var scratch = FileTrees.Scratch("walk-order");
        var root = scratch.Combine("tree");
        await FileTrees.MakeEdgeCasesAsync(root);

        var (entries, warnings) = Walk([root]);

        Assert.Empty(warnings);
        AssertCatalogOrder(entries);
        var expected = (await FileTrees.ListAsync(root)).Select(Convert.ToHexString).Order().ToList();
        Assert.Equal(expected, Under(entries, root).Select(Convert.ToHexString).Order().ToList());
        // var, var/tmp, var/tmp/walk-order-..., then the root: each above it once, as a directory.
        var components = root.Trim('/').Split('/');
        for (int i = 0; i < components.Length; i++)
        {
            Assert.Equal(string.Join('/', components[..(i + 1)]), CatalogPath.Display(entries[i].CatalogPath));
            Assert.Equal(EntryType.Directory, entries[i].Status.Type);
        }
        // Names that are not UTF-8 come through as the bytes they are.
        Assert.Contains(Under(entries, root), p => p.SequenceEqual((byte[])[.. "name-"u8, 0xff, 0xfe, .. "-latin1-"u8, 0xe9]));
        Assert.Contains(Under(entries, root), p => p.SequenceEqual((byte[])[.. "dir-"u8, 0x80, 0x81, .. "/inside"u8]));
    }

    [Fact]
    public async Task Overlapping_roots_collapse_and_sibling_roots_share_their_ancestors()
    {
        using var scratch = FileTrees.Scratch("walk-roots");
        var root = scratch.Combine("tree");
        await FileTrees.MakeEdgeCasesAsync(root);

        var (all, _) = Walk([root + "/docs", root + "/", root + "/docs/deep", root + "/./sticky"]);
        Assert.Equal((await FileTrees.ListAsync(root)).Count, Under(all, root).Count);

        var (some, warnings) = Walk([root + "/sticky", root + "/docs/deep"]);
        Assert.Empty(warnings);
        AssertCatalogOrder(some);
        var paths = Under(some, root).Select(p => CatalogPath.Display(p)).ToList();
        Assert.Equal(["docs", "docs/deep", "docs/deep/er", "docs/deep/er/est", "docs/deep/er/est/leaf", "sticky"], paths);
        // The directory above both roots was visited once; it is recorded like any directory.
        Assert.Single(some, e => CatalogPath.Display(e.CatalogPath) == root.TrimStart('/'));
    }

    [Fact]
    public void A_root_reached_through_a_symlinked_directory_is_recorded_at_its_real_place_and_a_root_that_is_a_symlink_as_the_symlink()
    {
        using var scratch = FileTrees.Scratch("walk-symlinked");
        var real = Directory.CreateDirectory(scratch.Combine("real", "data")).FullName;
        File.WriteAllText(Path.Combine(real, "file"), "x");
        File.CreateSymbolicLink(scratch.Combine("alias"), "real");

        var (entries, warnings) = Walk([scratch.Combine("alias", "data"), scratch.Combine("alias")]);

        Assert.Empty(warnings);
        AssertCatalogOrder(entries);
        // Every entry above one below it is a directory, as a restore requires; the symlink root stays a symlink.
        var byPath = entries.ToDictionary(e => CatalogPath.Display(e.CatalogPath), e => e.Status.Type);
        var top = scratch.Path.TrimStart('/');
        Assert.Equal(EntryType.Symlink, byPath[top + "/alias"]);
        Assert.Equal(EntryType.Directory, byPath[top + "/real"]);
        Assert.Equal(EntryType.Directory, byPath[top + "/real/data"]);
        Assert.Equal(EntryType.File, byPath[top + "/real/data/file"]);
        Assert.DoesNotContain(entries, e => CatalogPath.Display(e.CatalogPath).StartsWith(top + "/alias/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Excluded_names_and_paths_are_neither_recorded_nor_entered()
    {
        using var scratch = FileTrees.Scratch("walk-exclude");
        var root = scratch.Combine("tree");
        await FileTrees.MakeEdgeCasesAsync(root);

        var (entries, _) = Walk([root], ["*.bin", root + "/docs/deep", "link-*"]);
        var paths = Under(entries, root).Select(p => CatalogPath.Display(p)).ToList();

        Assert.DoesNotContain(paths, p => p.EndsWith(".bin", StringComparison.Ordinal) || p.StartsWith("link-", StringComparison.Ordinal));
        Assert.DoesNotContain(paths, p => p.StartsWith("docs/deep", StringComparison.Ordinal));
        // Only those: the rest of the tree is there.
        Assert.Contains("docs", paths);
        Assert.Contains("small.txt", paths);
        Assert.Contains("hard-a", paths);
    }

    [Fact]
    public async Task One_file_system_records_a_mount_point_but_not_what_is_mounted_there()
    {
        using var scratch = FileTrees.Scratch("walk-onefs");
        var root = scratch.Combine("tree");
        var mount = Path.Combine(root, "mnt");
        Directory.CreateDirectory(mount);
        File.WriteAllText(Path.Combine(root, "outside.txt"), "on the root's file system");
        await ExternalToolsMount(mount);
        try
        {
            File.WriteAllText(Path.Combine(mount, "inside.txt"), "on the tmpfs");

            var (crossing, _) = Walk([root]);
            var (staying, warnings) = Walk([root], oneFileSystem: true);

            Assert.Empty(warnings);
            Assert.Equal(["mnt", "mnt/inside.txt", "outside.txt"], Under(crossing, root).Select(p => CatalogPath.Display(p)));
            Assert.Equal(["mnt", "outside.txt"], Under(staying, root).Select(p => CatalogPath.Display(p)));
            var mountPoint = staying.Single(e => CatalogPath.Display(e.CatalogPath).EndsWith("/mnt", StringComparison.Ordinal));
            Assert.Equal(EntryType.Directory, mountPoint.Status.Type);
        }
        finally
        {
            var unmount = await ExternalTools.RunSeparatelyAsync("umount", [mount], "/", TimeSpan.FromMinutes(1));
            Assert.True(unmount.Code == 0, unmount.ToString());
        }
    }

    [Fact]
    public void A_missing_root_is_a_warning_and_the_other_roots_are_walked()
    {
        using var scratch = FileTrees.Scratch("walk-missing");
        File.WriteAllText(scratch.Combine("present"), "x");

        var (entries, warnings) = Walk([scratch.Combine("absent"), scratch.Combine("present")]);

        Assert.Equal(scratch.Combine("absent"), Assert.Single(warnings).Path);
        Assert.Contains("No such file or directory", warnings[0].Message);
        Assert.Equal(scratch.Combine("present").TrimStart('/'), CatalogPath.Display(entries[^1].CatalogPath));
    }

    private static async Task ExternalToolsMount(string directory)
    {
        var mount = await ExternalTools.RunSeparatelyAsync("mount", ["-t", "tmpfs", "-o", "size=16m", "tmpfs", directory], "/", TimeSpan.FromMinutes(1));
        Assert.True(mount.Code == 0, "mounting a tmpfs (the tests run as root) failed: " + mount);
    }
}
