using System.Text;

namespace Bunker.Client.Files.Catalog;

/// <summary>
/// The rules for catalog paths: raw bytes (names need not be UTF-8), relative, '/'-separated, and
/// ordered so that a directory's subtree sorts right after it (see files.proto).
/// </summary>
public static class CatalogPath
{
    public const byte Separator = (byte)'/';

    /// <summary>
    /// Catalog order: byte by byte, with '/' ranking below every other byte. That makes "a/z" sort
    /// before "a.b", so a depth-first walk with sorted children emits paths in this order.
    /// </summary>
    public static int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        int common = Math.Min(a.Length, b.Length);
        int same = a[..common].CommonPrefixLength(b[..common]);
        if (same == common) return a.Length.CompareTo(b.Length);
        return Rank(a[same]).CompareTo(Rank(b[same]));
    }

    // '/' becomes 0 and every other byte moves up one, so '/' is the lowest; NUL never appears in a valid path.
    private static int Rank(byte value) => value == Separator ? 0 : value + 1;

    /// <summary>
    /// True when <paramref name="path"/> is safe to join under a restore target: non-empty, relative,
    /// no empty, "." or ".." component, and no NUL byte.
    /// </summary>
    public static bool TryValidate(ReadOnlySpan<byte> path, out string reason)
    {
        if (path.IsEmpty)
        {
            reason = "the path is empty";
            return false;
        }
        if (path[0] == Separator)
        {
            reason = "the path is absolute";
            return false;
        }
        if (path.IndexOf((byte)0) >= 0)
        {
            reason = "the path holds a NUL byte";
            return false;
        }
        var rest = path;
        while (true)
        {
            int slash = rest.IndexOf(Separator);
            var component = slash < 0 ? rest : rest[..slash];
            if (component.IsEmpty)
            {
                reason = "the path has an empty component";
                return false;
            }
            if (component.SequenceEqual("."u8) || component.SequenceEqual(".."u8))
            {
                reason = $"the path has a '{Encoding.ASCII.GetString(component)}' component";
                return false;
            }
            if (slash < 0) break;
            rest = rest[(slash + 1)..];
        }
        reason = "";
        return true;
    }

    /// <summary>The path as text for people: UTF-8 where it is valid, each other byte as \xNN (and a backslash as \\).</summary>
    public static string Display(ReadOnlySpan<byte> path)
    {
        var text = new StringBuilder(path.Length);
        while (!path.IsEmpty)
        {
            var status = System.Text.Rune.DecodeFromUtf8(path, out var rune, out int consumed);
            if (status == System.Buffers.OperationStatus.Done && rune.Value >= 0x20 && rune.Value != 0x7f)
            {
                if (rune.Value == '\\') text.Append('\\');
                text.Append(rune.ToString());
            }
            else
            {
                // Invalid UTF-8 or a control character: one byte at a time, so that nothing is hidden or ambiguous.
                consumed = status == System.Buffers.OperationStatus.Done ? consumed : 1;
                for (int i = 0; i < consumed; i++) text.Append("\\x").Append(path[i].ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }
            path = path[consumed..];
        }
        return text.ToString();
    }

    /// <summary>True when the bytes are valid UTF-8 (so JSON can carry the path as a string).</summary>
    public static bool IsUtf8(ReadOnlySpan<byte> path) => System.Text.Unicode.Utf8.IsValid(path);

    /// <summary><paramref name="directory"/>/<paramref name="name"/>; an empty directory is the root, so the name alone.</summary>
    public static byte[] Join(ReadOnlySpan<byte> directory, ReadOnlySpan<byte> name)
    {
        if (directory.IsEmpty) return name.ToArray();
        var joined = new byte[directory.Length + 1 + name.Length];
        directory.CopyTo(joined);
        joined[directory.Length] = Separator;
        name.CopyTo(joined.AsSpan(directory.Length + 1));
        return joined;
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="prefix"/> or lies below it. An empty prefix holds everything.</summary>
    public static bool IsWithin(ReadOnlySpan<byte> path, ReadOnlySpan<byte> prefix)
    {
        if (prefix.IsEmpty) return true;
        if (!path.StartsWith(prefix)) return false;
        return path.Length == prefix.Length || path[prefix.Length] == Separator;
    }

    /// <summary>The parent directory of <paramref name="path"/>; empty for a top-level entry.</summary>
    public static ReadOnlySpan<byte> Parent(ReadOnlySpan<byte> path)
    {
        int slash = path.LastIndexOf(Separator);
        return slash < 0 ? [] : path[..slash];
    }

    /// <summary>The last component of <paramref name="path"/>.</summary>
    public static ReadOnlySpan<byte> Name(ReadOnlySpan<byte> path) => path[(path.LastIndexOf(Separator) + 1)..];

    /// <summary>A path typed on the command line, as catalog bytes: UTF-8, without leading or trailing '/'. "/" and "" are the root (empty).</summary>
    public static byte[] FromArgument(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Encoding.UTF8.GetBytes(path.Trim('/'));
    }
}
