using Bunker.Chunking;
using Bunker.Client.Wire;
using Bunker.Protocol.V1;

namespace Bunker.Client.Backup;

/// <summary>
/// A chunk new to the session, from <see cref="BackupUploader.AddChunkAsync"/> until it is put on the
/// wire or the server says it has it. Its bytes sit in a pooled buffer: raw at first, then encoded.
/// A known chunk (<see cref="BackupUploader.AddKnownChunkAsync"/>) has no bytes: it is only offered.
/// </summary>
internal sealed class PendingChunk(ChunkDigest digest, byte[]? buffer, int rawLength, string? knownArchive = null)
{
    private int _released;

    /// <summary>A chunk the caller says the repository has, added to <paramref name="archive"/> by digest alone.</summary>
    public static PendingChunk Known(ChunkDigest digest, int rawLength, string archive) => new(digest, null, rawLength, archive);

    public ChunkDigest Digest { get; } = digest;
    public int RawLength { get; } = rawLength;
    public byte[] Buffer { get; private set; } = buffer ?? [];
    /// <summary>For a known chunk, the archive it was added to (for the error if the server lacks it); null otherwise.</summary>
    public string? KnownArchive { get; } = knownArchive;
    public bool IsKnown => KnownArchive is not null;
    public ChunkEncoding Encoding { get; private set; } = ChunkEncoding.None;
    public int EncodedLength { get; private set; } = rawLength;

    /// <summary>Set once the chunk is in a put message: from then on, the writer releases it.</summary>
    public bool HandedOff { get; set; }

    /// <summary>Swaps the raw buffer for the encoded one, which then belongs to this chunk.</summary>
    public void Encoded(byte[] encoded, int length, ChunkEncoding encoding)
    {
        ChunkBuffers.Pool.Return(Buffer);
        Buffer = encoded;
        EncodedLength = length;
        Encoding = encoding;
    }

    /// <summary>Returns the buffer to the pool and the raw length to the budget, once however often it is called.</summary>
    public void Release(ByteBudget budget)
    {
        if (IsKnown || Interlocked.Exchange(ref _released, 1) != 0) return; // a known chunk holds neither buffer nor budget
        ChunkBuffers.Pool.Return(Buffer);
        budget.Release(RawLength);
    }
}

/// <summary>One archive entry in the order it was added; a zero length only declares the archive.</summary>
internal readonly record struct PendingEntry(string Archive, ChunkDigest Digest, int Length);

/// <summary>
/// The unit of the pipeline: the chunks new to the session that go into one offer, and the archive
/// entries added while the batch was open. Once the offer is answered and the missing chunks are
/// put, every one of these entries may be appended: each names a chunk of this batch or of an
/// earlier one, and batches are finished in order.
/// </summary>
internal sealed class OfferBatch
{
    public List<PendingChunk> Chunks { get; } = [];
    public List<PendingEntry> Entries { get; } = [];
    public long BufferedBytes { get; set; }
    public ulong RequestId { get; set; }

    /// <summary>The server's answer to this batch's offer: bit i set when chunk i is missing.</summary>
    public TaskCompletionSource<OfferResult> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsEmpty => Chunks.Count == 0 && Entries.Count == 0;
}
