using Bunker.Client.Files.Catalog;

namespace Bunker.Client.Files.Restore;

/// <summary>Which catalog entries a restore writes: everything, or what lies within the --include paths plus the directories above them.</summary>
internal sealed class CatalogScope
{
    private readonly byte[][] _includes;
    private readonly string[] _given;
    private readonly bool[] _matched;

    private CatalogScope(byte[][] includes, string[] given)
    {
        _includes = includes;
        _given = given;
        _matched = new bool[includes.Length];
    }

    /// <summary>No includes, or one that names the root: every entry.</summary>
    public bool Everything => _includes.Length == 0;

    /// <exception cref="ArgumentException">An include is not a safe relative path (after trimming its slashes).</exception>
    public static CatalogScope From(IReadOnlyList<string> includes)
    {
        var paths = new List<byte[]>(includes.Count);
        foreach (var include in includes)
        {
            var path = CatalogPath.FromArgument(include);
            if (path.Length == 0) return new CatalogScope([], []);
            if (!CatalogPath.TryValidate(path, out var reason))
                throw new ArgumentException($"--include '{include}': {reason}", nameof(includes));
            paths.Add(path);
        }
        return new CatalogScope([.. paths], [.. includes]);
    }

    /// <summary>The entry lies within an include (or there are none).</summary>
    public bool Contains(ReadOnlySpan<byte> path)
    {
        if (Everything) return true;
        for (int i = 0; i < _includes.Length; i++)
        {
            if (!CatalogPath.IsWithin(path, _includes[i])) continue;
            _matched[i] = true;
            return true;
        }
        return false;
    }

    /// <summary>The includes, as given, that no entry lay within (a typo, or a path not backed up).</summary>
    public IEnumerable<string> Unmatched()
    {
        for (int i = 0; i < _given.Length; i++)
        {
            if (!_matched[i]) yield return _given[i];
        }
    }

    /// <summary>The entry is a directory above an include: restored (with its metadata) so that the include has a place to go.</summary>
    public bool IsAncestor(ReadOnlySpan<byte> path)
    {
        foreach (var include in _includes)
        {
            if (include.Length > path.Length && CatalogPath.IsWithin(include, path)) return true;
        }
        return false;
    }
}
