using Bunker.Protocol.V1;

namespace Bunker.Client.Files.Restore;

/// <summary>The names a files snapshot's manifest uses (see proto/bunker/v1/files.proto).</summary>
internal static class FileSnapshot
{
    public const string SourceKind = "files";
    public const string CatalogArchive = "catalog";
    public const string PayloadArchive = "payload";

    /// <exception cref="InvalidDataException">The snapshot lacks the archive.</exception>
    public static ArchiveRef Archive(SnapshotInfo snapshot, string name)
    {
        foreach (var archive in snapshot.Manifest?.Archives ?? [])
        {
            if (archive.Name == name) return archive;
        }
        throw new InvalidDataException($"snapshot {Convert.ToHexStringLower(snapshot.Id.Span)} has no '{name}' archive: it is not a files snapshot");
    }
}
