namespace Bunker.Bench.Workloads;

/// <summary>The regular files below a directory in ordinal path order, symlinks skipped (as the peers do by default).</summary>
internal sealed class SourceTree
{
    private SourceTree(string root, FileInfo[] files)
    {
        Root = root;
        Files = files;
        TotalBytes = files.Sum(f => f.Length);
    }

    public string Root { get; }
    public IReadOnlyList<FileInfo> Files { get; }
    public long TotalBytes { get; }

    public static SourceTree Scan(string root)
    {
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"no directory {root}");
        var files = new DirectoryInfo(root)
            .EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint })
            .OrderBy(f => f.FullName, StringComparer.Ordinal)
            .ToArray();
        return new SourceTree(Path.GetFullPath(root), files);
    }
}
