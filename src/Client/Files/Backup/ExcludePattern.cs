using System.Text;

namespace Bunker.Client.Files.Backup;

/// <summary>
/// One <c>--exclude</c> glob, restic-like, matched on raw path bytes: <c>*</c> any run within a name, <c>?</c> one
/// byte of a name, <c>[...]</c> a class (ranges, <c>!</c> or <c>^</c> negates), <c>**</c> any number of whole
/// directories, and <c>\</c> escapes. A pattern without '/' is matched against every base name; one with '/' against
/// the absolute path, from the root when it starts with '/', else at any depth ("a/*.o" is "/**/a/*.o").
/// </summary>
internal sealed class ExcludePattern
{
    private const byte Slash = (byte)'/';
    private static readonly byte[] AnyDirectories = "**"u8.ToArray();

    // Null for a base-name pattern; otherwise the components to match against the path's.
    private readonly byte[][]? _components;
    private readonly byte[] _name = [];

    public ExcludePattern(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        Text = pattern;
        var trimmed = pattern.Trim();
        if (trimmed.Length > 1) trimmed = trimmed.TrimEnd('/'); // "cache/" means the directory cache, and so its contents
        if (trimmed.Length == 0) throw new ArgumentException($"exclude pattern '{pattern}' is empty");
        var bytes = Encoding.UTF8.GetBytes(trimmed);
        if (!bytes.AsSpan().Contains(Slash))
        {
            CheckClasses(bytes, pattern);
            _name = bytes;
            return;
        }
        var parts = new List<byte[]>();
        if (bytes[0] != Slash) parts.Add(AnyDirectories);
        foreach (var part in trimmed.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var component = Encoding.UTF8.GetBytes(part);
            CheckClasses(component, pattern);
            parts.Add(component);
        }
        _components = [.. parts];
    }

    /// <summary>The pattern as given.</summary>
    public string Text { get; }

    /// <param name="absolutePath">The file's absolute path, starting with '/'.</param>
    /// <param name="name">Its last component.</param>
    public bool Matches(ReadOnlySpan<byte> absolutePath, ReadOnlySpan<byte> name) =>
        _components is null ? MatchName(_name, name) : MatchPath(_components, 0, absolutePath.TrimStart(Slash));

    private static bool MatchPath(byte[][] pattern, int index, ReadOnlySpan<byte> path)
    {
        if (index == pattern.Length) return path.IsEmpty;
        if (pattern[index].AsSpan().SequenceEqual(AnyDirectories))
        {
            // Zero directories, or one more and try again.
            if (MatchPath(pattern, index + 1, path)) return true;
            if (path.IsEmpty) return false;
            int next = path.IndexOf(Slash);
            return MatchPath(pattern, index, next < 0 ? [] : path[(next + 1)..]);
        }
        if (path.IsEmpty) return false;
        int slash = path.IndexOf(Slash);
        var component = slash < 0 ? path : path[..slash];
        return MatchName(pattern[index], component) && MatchPath(pattern, index + 1, slash < 0 ? [] : path[(slash + 1)..]);
    }

    /// <summary>Glob match of one name: the usual two-pointer walk that backtracks to the last '*'.</summary>
    private static bool MatchName(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> name)
    {
        int p = 0, n = 0, starP = -1, starN = 0;
        while (n < name.Length)
        {
            if (p < pattern.Length)
            {
                byte c = pattern[p];
                if (c == '*')
                {
                    starP = p++;
                    starN = n;
                    continue;
                }
                if (c == '?')
                {
                    p++;
                    n++;
                    continue;
                }
                if (c == '[')
                {
                    if (MatchClass(pattern, p, name[n], out int after))
                    {
                        p = after;
                        n++;
                        continue;
                    }
                }
                else
                {
                    if (c == '\\' && p + 1 < pattern.Length) c = pattern[++p];
                    if (c == name[n])
                    {
                        p++;
                        n++;
                        continue;
                    }
                }
            }
            if (starP < 0) return false;
            p = starP + 1;
            n = ++starN;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }

    /// <summary>Matches <paramref name="value"/> against the class starting at pattern[start] == '['; <paramref name="after"/> is past its ']'.</summary>
    private static bool MatchClass(ReadOnlySpan<byte> pattern, int start, byte value, out int after)
    {
        int i = start + 1;
        bool negate = i < pattern.Length && (pattern[i] == '!' || pattern[i] == '^');
        if (negate) i++;
        bool matched = false;
        bool first = true;
        while (i < pattern.Length && (pattern[i] != ']' || first))
        {
            first = false;
            byte low = pattern[i];
            if (low == '\\' && i + 1 < pattern.Length) low = pattern[++i];
            byte high = low;
            if (i + 2 < pattern.Length && pattern[i + 1] == '-' && pattern[i + 2] != ']')
            {
                i += 2;
                high = pattern[i];
                if (high == '\\' && i + 1 < pattern.Length) high = pattern[++i];
            }
            if (value >= low && value <= high) matched = true;
            i++;
        }
        after = i + 1; // past the ']' (CheckClasses made sure there is one)
        return matched != negate;
    }

    private static void CheckClasses(ReadOnlySpan<byte> pattern, string text)
    {
        for (int i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] == '\\')
            {
                i++;
                continue;
            }
            if (pattern[i] != '[') continue;
            int j = i + 1;
            if (j < pattern.Length && (pattern[j] == '!' || pattern[j] == '^')) j++;
            if (j < pattern.Length && pattern[j] == ']') j++; // a ']' first in the class is a member
            while (j < pattern.Length && pattern[j] != ']')
            {
                if (pattern[j] == '\\') j++;
                j++;
            }
            if (j >= pattern.Length) throw new ArgumentException($"exclude pattern '{text}' has a '[' without its ']'");
            i = j;
        }
    }
}
