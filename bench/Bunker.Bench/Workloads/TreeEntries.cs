using System.IO.Enumeration;

namespace Bunker.Bench.Workloads;

/// <summary>What a tree entry is, as the bench tells them apart.</summary>
internal enum TreeEntryKind
{
    File,
    Directory,
    Symlink,
}

/// <summary>One entry below a root: its path relative to the root ('/'-separated) and its kind.</summary>
internal readonly record struct TreeEntry(string RelativePath, string FullPath, TreeEntryKind Kind);

/// <summary>
/// Every entry below a directory, symlinks listed but never followed, in ordinal order of relative
/// path. <see cref="DirectoryInfo.EnumerateFileSystemInfos(string, EnumerationOptions)"/> would
/// recurse through a symlink to a directory, which would list (and modify) files outside the tree.
/// </summary>
internal static class TreeEntries
{
    public static List<TreeEntry> List(string root)
    {
        root = Path.GetFullPath(root).TrimEnd('/');
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"no directory {root}");
        var entries = new FileSystemEnumerable<TreeEntry>(root, (ref FileSystemEntry e) =>
            {
                string full = e.ToFullPath();
                var kind = (e.Attributes & FileAttributes.ReparsePoint) != 0 ? TreeEntryKind.Symlink
                    : e.IsDirectory ? TreeEntryKind.Directory
                    : TreeEntryKind.File;
                return new TreeEntry(full[(root.Length + 1)..], full, kind);
            },
            new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false })
        {
            ShouldRecursePredicate = (ref FileSystemEntry e) => (e.Attributes & FileAttributes.ReparsePoint) == 0,
        }.ToList();
        entries.Sort((a, b) => string.CompareOrdinal(a.RelativePath, b.RelativePath));
        return entries;
    }
}
