using System.Text;
using Bunker.Client.Files.Catalog;

namespace Bunker.Client.Files.Backup;

/// <summary>
/// The paths a backup starts from: absolute, normalized, without trailing '/', in catalog order, and with every
/// root that lies inside another one dropped (its files are in the other's walk already).
/// </summary>
internal sealed class BackupRoots
{
    private BackupRoots(List<byte[]> absolute)
    {
        Absolute = absolute;
        Relative = absolute.ConvertAll(a => a.AsSpan(1).ToArray());
    }

    /// <summary>Absolute paths as bytes, "/" included as itself.</summary>
    public IReadOnlyList<byte[]> Absolute { get; }

    /// <summary>The same without the leading '/': catalog paths, where "/" is the empty path.</summary>
    public IReadOnlyList<byte[]> Relative { get; }

    /// <summary>The absolute paths as text, one per line: the snapshot's source id, so that the next backup of the same roots finds it as its parent.</summary>
    public string SourceId => string.Join("\n", Texts);

    public IEnumerable<string> Texts => Absolute.Select(a => Encoding.UTF8.GetString(a));

    /// <param name="paths">As given: relative ones are taken from the current directory.</param>
    /// <exception cref="ArgumentException">No path, or an empty one.</exception>
    public static BackupRoots Create(IEnumerable<string> paths)
    {
        var roots = new List<byte[]>();
        foreach (var path in paths)
        {
            if (string.IsNullOrWhiteSpace(path)) throw new ArgumentException("a backup path is empty");
            var full = Path.GetFullPath(path);
            if (full.Length > 1) full = full.TrimEnd('/');
            roots.Add(ThroughRealDirectories(Encoding.UTF8.GetBytes(full)));
        }
        if (roots.Count == 0) throw new ArgumentException("no path to back up was given");
        roots.Sort(static (a, b) => CatalogPath.Compare(a, b));
        var kept = new List<byte[]>();
        foreach (var root in roots)
        {
            // Sorted, so a root's container (if any) was kept just before it, or before a sibling inside it.
            if (kept.Count > 0 && Contains(kept[^1], root)) continue;
            kept.Add(root);
        }
        return new BackupRoots(kept);
    }

    /// <summary>
    /// The root with the directories above it resolved (/var/run/x becomes /run/x), the last name kept as it is. The
    /// catalog records the directories above a root as directories; a symlink among them would put entries below a
    /// symlink, which a restore rightly refuses. A root that is itself a symlink is backed up as the symlink.
    /// </summary>
    private static byte[] ThroughRealDirectories(byte[] absolute)
    {
        int slash = absolute.AsSpan().LastIndexOf(CatalogPath.Separator);
        if (slash <= 0) return absolute; // "/" or "/name": nothing above but the root directory
        byte[] parent;
        try
        {
            parent = Native.NativeFiles.RealPath(absolute.AsSpan(0, slash));
        }
        catch (Native.FileSystemException)
        {
            return absolute; // missing: the walk reports the root as unreadable, by the name given
        }
        return parent.Length == 1 ? absolute.AsSpan(slash).ToArray() : [.. parent, .. absolute.AsSpan(slash)];
    }

    /// <summary>True when the catalog path <paramref name="relative"/> is one of the roots.</summary>
    public bool IsRoot(ReadOnlySpan<byte> relative)
    {
        foreach (var root in Relative)
        {
            if (root.AsSpan().SequenceEqual(relative)) return true;
        }
        return false;
    }

    /// <summary>
    /// The names directly inside <paramref name="directory"/> (a catalog path, "" for "/") that lead to a root: the
    /// next component of every root below it, sorted, each once.
    /// </summary>
    public List<byte[]> NamesTowardRoots(ReadOnlySpan<byte> directory)
    {
        var names = new List<byte[]>();
        foreach (var root in Relative)
        {
            ReadOnlySpan<byte> rest;
            if (directory.IsEmpty) rest = root;
            else if (root.Length > directory.Length && CatalogPath.IsWithin(root, directory)) rest = root.AsSpan(directory.Length + 1);
            else continue;
            if (rest.IsEmpty) continue;
            int slash = rest.IndexOf(CatalogPath.Separator);
            var name = slash < 0 ? rest : rest[..slash];
            if (names.Count == 0 || !names[^1].AsSpan().SequenceEqual(name)) names.Add(name.ToArray());
        }
        names.Sort(NameOrder.Instance);
        return names;
    }

    private static bool Contains(byte[] outer, byte[] inner) =>
        outer.Length == 1 || CatalogPath.IsWithin(inner, outer); // "/" holds everything
}

/// <summary>Siblings' order in the catalog: plain bytewise, since a name holds no '/'.</summary>
internal sealed class NameOrder : IComparer<byte[]>
{
    public static NameOrder Instance { get; } = new();

    public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
}
