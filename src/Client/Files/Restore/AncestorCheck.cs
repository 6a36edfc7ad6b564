using Bunker.Client.Files.Catalog;
using Bunker.Protocol.V1;

namespace Bunker.Client.Files.Restore;

/// <summary>
/// Refuses an entry that lies below another entry of the same catalog that is not a directory: "d" a
/// symlink to /tmp/outside, then "d/file", is how a hostile catalog would write through a link it made
/// itself. Catalog order puts a subtree right after its root, so a stack of the current chain of
/// ancestors is enough: memory is the tree's depth, not its size.
/// </summary>
internal sealed class AncestorCheck
{
    private readonly List<(byte[] Path, EntryType Type)> _chain = [];

    /// <exception cref="InvalidDataException">The entry lies below an entry that is not a directory.</exception>
    public void Check(CatalogEntry entry)
    {
        var path = entry.Path.Span;
        while (_chain.Count > 0 && !CatalogPath.IsWithin(path, _chain[^1].Path))
            _chain.RemoveAt(_chain.Count - 1);
        if (_chain.Count > 0 && _chain[^1].Type != EntryType.Directory)
        {
            var (parent, type) = _chain[^1];
            throw CatalogRefusal.Of(CatalogPath.Display(path), $"it lies below '{CatalogPath.Display(parent)}', which the catalog makes a {Describe(type)}, not a directory");
        }
        _chain.Add((entry.Path.ToByteArray(), entry.Type));
    }

    public static string Describe(EntryType type) => type switch
    {
        EntryType.File => "regular file",
        EntryType.Directory => "directory",
        EntryType.Symlink => "symlink",
        EntryType.Fifo => "fifo",
        EntryType.CharDevice => "character device",
        EntryType.BlockDevice => "block device",
        EntryType.Socket => "socket",
        _ => $"entry of type {(int)type}",
    };
}
