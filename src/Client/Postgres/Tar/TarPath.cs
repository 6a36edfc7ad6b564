using Bunker.Client.Files.Catalog;

namespace Bunker.Client.Postgres.Tar;

/// <summary>Member names as paths under the target: pg_basebackup writes some as "./pg_wal/archive_status/".</summary>
internal static class TarPath
{
    /// <summary>The name without its leading "./"s (a lone "." is the archive's root: empty).</summary>
    public static ReadOnlySpan<byte> WithoutDotSlash(ReadOnlySpan<byte> name)
    {
        while (name.StartsWith("./"u8)) name = name[2..];
        return name.SequenceEqual("."u8) ? [] : name;
    }

    /// <summary>
    /// The path a member is extracted to, relative to the target; empty for a directory that names the target
    /// itself ("./"). Refuses absolute names, "." or ".." components, empty components and NUL bytes, so that
    /// nothing is written outside the target; only a directory may end with '/'.
    /// </summary>
    public static byte[] Normalize(ReadOnlySpan<byte> name, bool isDirectory)
    {
        var path = WithoutDotSlash(name);
        if (isDirectory && path.EndsWith("/"u8) && path.Length > 1) path = path[..^1];
        if (isDirectory && path.IsEmpty && !name.IsEmpty) return [];
        if (!CatalogPath.TryValidate(path, out string reason))
            throw new TarFormatException($"tar member '{CatalogPath.Display(name)}' is refused: {reason}");
        return path.ToArray();
    }
}
