using Bunker.Client.Restore;
using Bunker.Protocol.V1;

namespace Bunker.Client.Files.Restore;

internal enum ItemKind
{
    Directory,
    File,
    Hardlink,
    Symlink,
    Special,
}

/// <summary>A catalog entry the restore writes, checked and classified by <see cref="CatalogWalk"/>.</summary>
internal sealed class WalkItem(CatalogEntry entry, ItemKind kind, string display)
{
    public CatalogEntry Entry { get; } = entry;
    public ItemKind Kind { get; } = kind;

    /// <summary>The path for people and messages.</summary>
    public string Display { get; } = display;

    /// <summary>
    /// For <see cref="ItemKind.Hardlink"/>: the first name of the inode, restored. For a <see cref="ItemKind.File"/>
    /// made from a hardlink whose first name was left out: that first name, whose content this file gets.
    /// </summary>
    public HardlinkOrigin? Origin { get; init; }

    /// <summary>The entry that describes the content (size, extents): the origin's for a file made from a hardlink.</summary>
    public CatalogEntry ContentEntry => Kind == ItemKind.File && Origin is not null ? Origin.Entry : Entry;
}

/// <summary>The first name of a hardlinked inode: the entry that carries its content.</summary>
internal sealed class HardlinkOrigin(byte[] path, CatalogEntry entry, bool included)
{
    public byte[] Path { get; } = path;
    public CatalogEntry Entry { get; } = entry;

    /// <summary>Restored by this run, so later names link to it.</summary>
    public bool Included { get; } = included;

    /// <summary>For an origin left out by --include: its payload chunks, kept in case a restored name needs its content.</summary>
    public List<ArchiveEntry>? Chunks { get; set; }
}
