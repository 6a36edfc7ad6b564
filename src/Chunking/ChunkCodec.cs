namespace Bunker.Chunking;

/// <summary>How a chunk's stored bytes are encoded before encryption. Persisted: never renumber.</summary>
public enum ChunkCodec : byte
{
    /// <summary>Stored as is, because compression did not pay.</summary>
    None = 0,
    Zstd = 1,
}
