using System.Buffers.Binary;
using Bunker.Chunking;
using Bunker.Protocol.Grpc;
using Google.Protobuf;

namespace Bunker.Server.Services;

/// <summary>The packed lists the protocol uses: digests (32 bytes each) and archive entries (digest + u32 LE length).</summary>
public static class WireLists
{
    public const int EntrySize = ChunkDigest.Size + 4;

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

    public static ByteString PackDigests(ReadOnlySpan<ChunkDigest> digests)
    {
        var bytes = new byte[digests.Length * ChunkDigest.Size];
        for (int i = 0; i < digests.Length; i++)
            digests[i].CopyTo(bytes.AsSpan(i * ChunkDigest.Size));
        return UnsafeByteOperations.UnsafeWrap(bytes);
    }

    public static void WriteEntry(Span<byte> destination, in ChunkDigest digest, uint length)
    {
        digest.CopyTo(destination);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[ChunkDigest.Size..], length);
    }

    public static (ChunkDigest Digest, uint Length) ReadEntry(ReadOnlySpan<byte> entries, int index)
    {
        var entry = entries.Slice(index * EntrySize, EntrySize);
        return (new ChunkDigest(entry[..ChunkDigest.Size]), BinaryPrimitives.ReadUInt32LittleEndian(entry[ChunkDigest.Size..]));
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
