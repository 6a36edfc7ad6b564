using Bunker.Client.Files.Native;
using Bunker.Protocol.V1;

namespace Bunker.Client.Files.Restore;

/// <summary>
/// Applies an entry's owner, mode, xattrs and times, in that order: chown clears setuid bits, so mode comes
/// after it; writing and chown drop security.capability, so xattrs come after both; times come last, so that a
/// file whose mtime matches is one that was finished (what a resumed restore relies on). Each failure is
/// a warning: the content is there, one attribute is not.
/// </summary>
internal static class MetadataWriter
{
    /// <summary>Through the entry's own descriptor (a regular file or a directory).</summary>
    public static void Apply(System.Runtime.InteropServices.SafeHandle handle, CatalogEntry entry, string display, RestoreContext context)
    {
        Try(context, display, () =>
        {
            if (HandleMetadata.IsRoot) HandleMetadata.SetOwner(handle, entry.Uid, entry.Gid);
        });
        Try(context, display, () => HandleMetadata.SetMode(handle, entry.Mode & 0xFFF));
        foreach (var xattr in entry.Xattrs)
            Try(context, display, () => HandleMetadata.SetAttribute(handle, xattr.Name.Span, xattr.Value.Span), Attribute(xattr));
        Try(context, display, () => HandleMetadata.SetTimes(handle, entry.AtimeUnixNanos, entry.MtimeUnixNanos));
    }

    /// <summary>By name in its directory, for entries that are not opened: symlinks, fifos, sockets and devices.</summary>
    public static void Apply(DirectoryHandle directory, ReadOnlySpan<byte> name, CatalogEntry entry, string display, RestoreContext context)
    {
        var bytes = name.ToArray();
        Try(context, display, () =>
        {
            if (HandleMetadata.IsRoot) directory.SetOwner(bytes, entry.Uid, entry.Gid);
        });
        // A symlink's own mode means nothing on Linux (and cannot be set).
        if (entry.Type != EntryType.Symlink)
            Try(context, display, () => directory.SetMode(bytes, entry.Mode & 0xFFF));
        foreach (var xattr in entry.Xattrs)
            Try(context, display, () => directory.SetAttribute(bytes, xattr.Name.Span, xattr.Value.Span), Attribute(xattr));
        Try(context, display, () => directory.SetTimes(bytes, entry.AtimeUnixNanos, entry.MtimeUnixNanos));
    }

    private static string Attribute(Xattr xattr) => $"xattr {Catalog.CatalogPath.Display(xattr.Name.Span)}";

    private static void Try(RestoreContext context, string display, Action action, string? what = null)
    {
        try
        {
            action();
        }
        catch (Exception e) when (e is IOException or ArgumentException)
        {
            context.Warn(display, what is null ? e.Message : $"{what}: {e.Message}");
        }
    }
}
