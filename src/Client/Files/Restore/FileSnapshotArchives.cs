using Bunker.Protocol.V1;

namespace Bunker.Client.Files.Restore;

/// <summary>The archives of a files snapshot's manifest (see proto/bunker/v1/files.proto).</summary>
internal static class FileSnapshotArchives
{
    /// <exception cref="InvalidDataException">The snapshot lacks the archive.</exception>
    public static ArchiveRef Find(SnapshotInfo snapshot, string name)
    {
        foreach (var archive in snapshot.Manifest?.Archives ?? [])
        {
            if (archive.Name == name) return archive;
        }
        throw new InvalidDataException($"snapshot {Convert.ToHexStringLower(snapshot.Id.Span)} has no '{name}' archive: it is not a files snapshot");
    }
}
