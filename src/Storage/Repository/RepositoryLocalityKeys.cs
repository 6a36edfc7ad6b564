using System.Buffers;
using System.Buffers.Binary;
using Bunker.Chunking;
using Bunker.Index;

namespace Bunker.Storage;

public sealed partial class Repository
{
    /// <summary>
    /// Writes one sort key per digest into <paramref name="keys"/>, in the caller's order: the pack
    /// in the high 32 bits, the record's offset in the pack in the low 32. Sorting by key groups a
    /// restore's chunks by pack and orders each group by offset, so that ranges split from the
    /// sorted list read each pack once and forward.
    /// </summary>
    /// <remarks>
    /// The lookups are those of <see cref="ReadStoredChunksAsync"/>: one MultiGet, chunks in open
    /// packs flushed first, and <see cref="ChunkNotFoundException"/> for the first digest this
    /// repository lacks (another repository's chunk included), so a key never says more than a read
    /// would. The key is opaque to the client and depends only on where the chunk is stored.
    /// </remarks>
    public async Task LocalityKeysAsync(IReadOnlyList<ChunkDigest> digests, Memory<ulong> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(digests);
        int count = digests.Count;
        if (keys.Length < count)
            throw new ArgumentException("the key buffer is shorter than the digest list", nameof(keys));
        if (count == 0)
            return;

        var wanted = ArrayPool<WantedChunk>.Shared.Rent(count);
        try
        {
            await LocateAsync(digests, count, wanted, cancellationToken).ConfigureAwait(false);
            var span = keys.Span;
            for (int i = 0; i < count; i++)
                span[i] = LocalityKey(wanted[i].Location);
        }
        finally
        {
            ArrayPool<WantedChunk>.Shared.Return(wanted);
        }
    }

    /// <summary>
    /// The pack's first four name bytes (big-endian, so keys sort as pack ids do) above the offset.
    /// Pack names are SHA-256, so two packs share the high half by chance only (1 in 2^32 a pair):
    /// their chunks then interleave by offset, which costs locality, never correctness.
    /// </summary>
    public static ulong LocalityKey(in ChunkLocation location)
    {
        Span<byte> pack = stackalloc byte[PackId.Size];
        location.Pack.CopyTo(pack);
        return ((ulong)BinaryPrimitives.ReadUInt32BigEndian(pack) << 32) | location.Offset;
    }
}
