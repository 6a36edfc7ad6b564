using System.Security.Cryptography;
using System.Text;

namespace Bunker.Bench.Workloads;

/// <summary>
/// What a tree holds, to tell whether a restore gave it back: every path with its kind, and for a
/// regular file the SHA-256 of its content, for a symlink its target. Modes, owners and times are not
/// compared: the three tools restore them differently by default, and the bench checks data.
/// </summary>
internal sealed class TreeManifest
{
    private const int MaxDifferencesListed = 10;

    private readonly SortedDictionary<string, string> _entries;

    private TreeManifest(SortedDictionary<string, string> entries, int files, int directories, int symlinks, long bytes)
    {
        _entries = entries;
        Files = files;
        Directories = directories;
        Symlinks = symlinks;
        Bytes = bytes;
        Digest = DigestOf(entries);
    }

    public int Files { get; }
    public int Directories { get; }
    public int Symlinks { get; }
    /// <summary>The regular files' bytes.</summary>
    public long Bytes { get; }
    /// <summary>SHA-256 over every (path, kind, content digest or link target), in path order: equal digests, equal trees.</summary>
    public string Digest { get; }

    public string Describe() =>
        $"{Files} files ({Bytes / 1e6:F1} MB), {Directories} directories, {Symlinks} symlinks, digest {Digest[..16]}";

    /// <summary>Reads the tree; regular files are hashed on every core.</summary>
    public static TreeManifest Build(string root)
    {
        var entries = TreeEntries.List(root);
        var details = new string[entries.Count];
        long bytes = 0;
        int files = 0, directories = 0, symlinks = 0;
        for (int i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            switch (entry.Kind)
            {
                case TreeEntryKind.Directory:
                    directories++;
                    details[i] = "dir";
                    break;
                case TreeEntryKind.Symlink:
                    symlinks++;
                    details[i] = "symlink " + new FileInfo(entry.FullPath).LinkTarget;
                    break;
                default:
                    files++;
                    bytes += new FileInfo(entry.FullPath).Length;
                    break;
            }
        }
        Parallel.For(0, entries.Count, i =>
        {
            if (entries[i].Kind != TreeEntryKind.File) return;
            using var stream = new FileStream(entries[i].FullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
            details[i] = "file " + Convert.ToHexStringLower(SHA256.HashData(stream));
        });

        var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < entries.Count; i++)
            map.Add(entries[i].RelativePath, details[i]);
        return new TreeManifest(map, files, directories, symlinks, bytes);
    }

    /// <summary>Paths that differ between this tree (the source) and <paramref name="other"/> (a restore), at most ten listed, plus how many there are.</summary>
    public (List<string> Listed, int Count) Differences(TreeManifest other)
    {
        var listed = new List<string>();
        int count = 0;
        void Note(string difference)
        {
            if (count++ < MaxDifferencesListed) listed.Add(difference);
        }

        foreach (var (path, detail) in _entries)
        {
            if (!other._entries.TryGetValue(path, out var theirs)) Note($"missing: {path}");
            else if (theirs != detail) Note($"differs: {path} ({Short(detail)} vs {Short(theirs)})");
        }
        foreach (var path in other._entries.Keys)
        {
            if (!_entries.ContainsKey(path)) Note($"extra: {path}");
        }
        return (listed, count);
    }

    private static string Short(string detail) => detail.Length > 40 ? detail[..40] + "…" : detail;

    private static string DigestOf(SortedDictionary<string, string> entries)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (path, detail) in entries)
            hash.AppendData(Encoding.UTF8.GetBytes($"{path}\0{detail}\n"));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
