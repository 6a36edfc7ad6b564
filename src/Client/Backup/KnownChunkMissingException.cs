using Bunker.Chunking;

namespace Bunker.Client.Backup;

/// <summary>
/// A chunk added with <see cref="BackupUploader.AddKnownChunkAsync"/> is not in the repository: whatever said it was
/// (an earlier snapshot's index) is wrong, so the upload cannot reference it and fails.
/// </summary>
public sealed class KnownChunkMissingException(ChunkDigest digest, int length, string archive)
    : Exception($"chunk {digest} ({length} bytes) of archive '{archive}' was added as already stored, but the repository does not have it")
{
    public ChunkDigest Digest { get; } = digest;
    public int Length { get; } = length;
    public string Archive { get; } = archive;
}
