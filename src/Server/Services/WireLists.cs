using Bunker.Chunking;
using Bunker.Protocol.Grpc;
using Google.Protobuf;

namespace Bunker.Server.Services;

/// <summary>The packed digest lists the protocol uses (32 bytes each), and the offer answer's bitmap. Entries use <see cref="ChunkEntryLayout"/>.</summary>
public static class WireLists
{
    /// <summary>Parses packed digests into <paramref name="destination"/>; INVALID_ARGUMENT when malformed or too many.</summary>
    public static int ParseDigests(ByteString packed, Span<ChunkDigest> destination, string what)
    {
        var bytes = packed.Span;
        if (bytes.Length % ChunkDigest.Size != 0)
            throw ServiceErrors.Error(StatusCode.InvalidArgument, $"{what}: {bytes.Length} bytes is not a whole number of 32-byte digests");
        int count = bytes.Length / ChunkDigest.Size;
        if (count > destination.Length)
            throw ServiceErrors.Error(StatusCode.InvalidArgument, $"{what}: {count} digests in one message; the most is {destination.Length}");
        for (int i = 0; i < count; i++)
            destination[i] = new ChunkDigest(bytes.Slice(i * ChunkDigest.Size, ChunkDigest.Size));
        return count;
    }

    /// <summary>A bitmap with bit i set where <paramref name="present"/>[i] is false (the chunk is missing).</summary>
    public static ByteString MissingBitmap(ReadOnlySpan<bool> present, out int missing)
    {
        var bits = new byte[(present.Length + 7) / 8];
        missing = 0;
        for (int i = 0; i < present.Length; i++)
        {
            if (present[i]) continue;
            bits[i >> 3] |= (byte)(1 << (i & 7));
            missing++;
        }
        return UnsafeByteOperations.UnsafeWrap(bits);
    }
}
