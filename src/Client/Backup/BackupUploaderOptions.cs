using Bunker.Chunking.Compression;

namespace Bunker.Client.Backup;

/// <summary>How a <see cref="BackupUploader"/> batches, compresses and bounds its memory.</summary>
public sealed record BackupUploaderOptions
{
    public static BackupUploaderOptions Default { get; } = new();

    /// <summary>
    /// Most raw bytes of new chunks held at once: from <see cref="BackupUploader.AddChunkAsync"/> until the chunk is
    /// put on the wire, or the server says it has it. When full, AddChunkAsync waits. A single chunk larger than
    /// this is still accepted, alone.
    /// </summary>
    public long MaxBufferedBytes { get; init; } = 64L << 20;

    /// <summary>zstd level for chunks the server lacks (<see cref="ChunkCompressor.MinLevel"/> to <see cref="ChunkCompressor.MaxLevel"/>).</summary>
    public int CompressionLevel { get; init; } = ChunkCompressor.DefaultLevel;

    /// <summary>Threads compressing at once; by default one per core.</summary>
    public int CompressionWorkers { get; init; } = Environment.ProcessorCount;

    /// <summary>Most digests in one offer; the server's own limit (BackupStarted.max_offer_digests) caps it further.</summary>
    public int MaxOfferDigests { get; init; } = 4096;

    /// <summary>
    /// Target size of one PutChunks message (encoded bytes); a chunk larger than this travels alone. Keep it, plus
    /// the largest chunk, under the server's message limit (HelloResponse.max_message_size).
    /// </summary>
    public int MaxPutBytes { get; init; } = 4 << 20;

    internal void Validate()
    {
        if (MaxBufferedBytes < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxBufferedBytes), MaxBufferedBytes, "must be positive");
        if (CompressionLevel < ChunkCompressor.MinLevel || CompressionLevel > ChunkCompressor.MaxLevel)
            throw new ArgumentOutOfRangeException(nameof(CompressionLevel), CompressionLevel, $"must be {ChunkCompressor.MinLevel} to {ChunkCompressor.MaxLevel}");
        if (CompressionWorkers < 1)
            throw new ArgumentOutOfRangeException(nameof(CompressionWorkers), CompressionWorkers, "must be positive");
        if (MaxOfferDigests < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxOfferDigests), MaxOfferDigests, "must be positive");
        if (MaxPutBytes < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxPutBytes), MaxPutBytes, "must be positive");
    }
}
