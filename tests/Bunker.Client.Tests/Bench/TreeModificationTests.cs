using System.Runtime.Versioning;
using Bunker.Bench.Workloads;

namespace Bunker.Client.Tests.Bench;

/// <summary>
/// The files benchmark's change step (bench/Bunker.Bench/Workloads, linked in): the same tree and seed
/// give the same change, it rewrites 5% of the regular files and nothing else but the few it adds and
/// deletes, and it never reaches outside the tree.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class TreeModificationTests : IDisposable
{
    private const ulong Seed = 7;
    private readonly string _root = Directory.CreateTempSubdirectory("bunker-bench-change-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>200 files in 10 directories, sizes from empty to 2.5 MiB (so edits cross the 1 MiB copy buffer), a symlink to a file and one to a directory outside the tree.</summary>
    private string MakeTree(string name, string outside)
    {
        string tree = Path.Combine(_root, name);
        for (int i = 0; i < 200; i++)
        {
            string directory = Path.Combine(tree, $"d{i % 10}");
            Directory.CreateDirectory(directory);
            int size = i % 7 == 0 ? 0 : i % 50 == 1 ? (5 << 19) : i * 7919 % 50_000;
            var content = new byte[size];
            for (int b = 0; b < size; b++) content[b] = (byte)(b * 31 + i);
            File.WriteAllBytes(Path.Combine(directory, $"f{i}.bin"), content);
        }
        Directory.CreateDirectory(Path.Combine(tree, "empty"));
        File.CreateSymbolicLink(Path.Combine(tree, "d0", "link-to-file"), "f0.bin");
        Directory.CreateSymbolicLink(Path.Combine(tree, "link-to-outside"), outside);
        return tree;
    }

    private string MakeOutside()
    {
        string outside = Path.Combine(_root, "outside");
        Directory.CreateDirectory(outside);
        for (int i = 0; i < 50; i++)
            File.WriteAllText(Path.Combine(outside, $"o{i}.txt"), $"outside {i}");
        return outside;
    }

    [Fact]
    public void TheSameTreeAndSeedGiveTheSameChange()
    {
        string outside = MakeOutside();
        string first = MakeTree("first", outside);
        string second = MakeTree("second", outside);
        Assert.Equal(TreeManifest.Build(first).Digest, TreeManifest.Build(second).Digest);

        var firstChanges = TreeModification.Apply(first, Seed);
        var secondChanges = TreeModification.Apply(second, Seed);

        Assert.Equal(firstChanges, secondChanges);
        Assert.Equal(TreeManifest.Build(first).Digest, TreeManifest.Build(second).Digest);
    }

    [Fact]
    public void AnotherSeedGivesAnotherChange()
    {
        string outside = MakeOutside();
        string first = MakeTree("first", outside);
        string second = MakeTree("second", outside);

        TreeModification.Apply(first, Seed);
        TreeModification.Apply(second, Seed + 1);

        Assert.NotEqual(TreeManifest.Build(first).Digest, TreeManifest.Build(second).Digest);
    }

    [Fact]
    public void FivePercentOfTheFilesChangeAndNothingElse()
    {
        string outside = MakeOutside();
        string tree = MakeTree("tree", outside);
        var outsideBefore = TreeManifest.Build(outside);
        var before = TreeManifest.Build(tree);

        var changes = TreeModification.Apply(tree, Seed);
        var after = TreeManifest.Build(tree);

        Assert.Equal(200, changes.RegularFiles);
        Assert.Equal(10, changes.FilesModified);
        Assert.Equal(1, changes.FilesDeleted);
        Assert.Equal(1, changes.FilesAdded);
        Assert.True(changes.BytesFlipped > 0 && changes.BytesInserted > 0, changes.Describe());
        // Every path that differs is one of the rewritten, deleted or added files: nothing else moved.
        Assert.Equal(changes.FilesModified + changes.FilesDeleted + changes.FilesAdded, before.Differences(after).Count);
        Assert.Equal(before.Bytes + changes.BytesInserted + changes.BytesAdded - changes.BytesDeleted, after.Bytes);
        Assert.Equal(before.Symlinks, after.Symlinks);
        Assert.Equal(before.Directories, after.Directories);
        Assert.Equal(outsideBefore.Digest, TreeManifest.Build(outside).Digest);
    }

    [Fact]
    public void ARewriteChangesOnePathEvenWhenItIsHardlinked()
    {
        string tree = Path.Combine(_root, "links");
        Directory.CreateDirectory(tree);
        string original = Path.Combine(tree, "l0");
        File.WriteAllBytes(original, new byte[4096]);
        for (int i = 1; i < 20; i++)
            Assert.Equal(0, Link(original, Path.Combine(tree, $"l{i}")));
        var before = TreeManifest.Build(tree);

        var changes = TreeModification.Apply(tree, Seed);

        Assert.Equal(1, changes.FilesModified);
        Assert.Equal(changes.FilesModified + changes.FilesDeleted + changes.FilesAdded, before.Differences(TreeManifest.Build(tree)).Count);
    }

    // .NET has no API for hardlinks.
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int Link(string existing, string created);
}
