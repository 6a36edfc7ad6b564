using Bunker.Chunking;
using Bunker.Protocol.V1;

namespace Bunker.Client.Files.Backup;

/// <summary>What the reading side hands the uploading side, in archive order.</summary>
internal enum BackupItemKind : byte
{
    /// <summary>A payload chunk read from a file, in a pooled buffer the receiver returns.</summary>
    Payload,
    /// <summary>A payload chunk of the parent, carried over by digest.</summary>
    KnownPayload,
    /// <summary>A catalog entry, written after its content's chunks.</summary>
    Entry,
}

internal readonly struct BackupItem
{
    private BackupItem(BackupItemKind kind, byte[]? buffer, int length, ChunkDigest digest, CatalogEntry? entry)
    {
        Kind = kind;
        Buffer = buffer;
        Length = length;
        Digest = digest;
        Entry = entry;
    }

    public BackupItemKind Kind { get; }
    public byte[]? Buffer { get; }
    public int Length { get; }
    public ChunkDigest Digest { get; }
    public CatalogEntry? Entry { get; }

    public static BackupItem Payload(byte[] buffer, int length) => new(BackupItemKind.Payload, buffer, length, default, null);
    public static BackupItem Known(ChunkDigest digest, int length) => new(BackupItemKind.KnownPayload, null, length, digest, null);
    public static BackupItem Of(CatalogEntry entry) => new(BackupItemKind.Entry, null, 0, default, entry);
}
