using System.Buffers.Binary;
using Bunker.Chunking;

namespace Bunker.Client.Wire;

/// <summary>The protocol's packed archive entries: a 32-byte digest, then the chunk's length as a u32, little-endian.</summary>
internal static class PackedEntries
{
    public const int EntrySize = ChunkDigest.Size + sizeof(uint);

    public static void Write(Span<byte> destination, in ChunkDigest digest, int length)
    {
        digest.CopyTo(destination);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[ChunkDigest.Size..], (uint)length);
    }

    public static (ChunkDigest Digest, uint Length) Read(ReadOnlySpan<byte> entries, int index)
    {
        var entry = entries.Slice(index * EntrySize, EntrySize);
        return (new ChunkDigest(entry[..ChunkDigest.Size]), BinaryPrimitives.ReadUInt32LittleEndian(entry[ChunkDigest.Size..]));
    }
}
