using System.Buffers.Binary;
using Bunker.Chunking;
using Bunker.Index;

namespace Bunker.Storage.Packs;

/// <summary>
/// The pack layout, version 1. All integers little-endian.
/// <code>
/// header   "BNKPACK1" (8) | repository id (16)
/// records  one per chunk: nonce (12) | AES-256-GCM(encoded chunk) | tag (16)
/// table    sealed with the data key (domain "bunker/pack-table/v1"):
///          version (1) | created unix ms (8) | count (4) | entries: digest (32) offset (4) stored (4) raw (4) codec (1)
/// footer   sealed table length (4) | chunk count (4) | "BNKPEND1" (8)
/// </code>
/// The table at the end lets the index be rebuilt from the packs alone (invariant 7); the plain
/// footer only says where the table starts, and the table's tag authenticates everything it says.
/// A pack's id is the SHA-256 of all of its bytes.
/// </summary>
public static class PackFormat
{
    public const int HeaderSize = 24;
    public const int FooterSize = 16;
    public const int EntrySize = ChunkDigest.Size + 4 + 4 + 4 + 1;
    public const int TableHeaderSize = 1 + 8 + 4;
    public const byte TableVersion = 1;

    /// <summary>
    /// The largest raw chunk a pack accepts. Twice FastCDC's 8 MiB maximum, so a configured larger
    /// chunker still fits, while a hostile length can never ask for an unbounded buffer.
    /// </summary>
    public const int MaxChunkSize = Chunking.ChunkEntryLayout.MaxLength;

    /// <summary>
    /// Default seal size: 32 MiB. Large enough that a TiB is ~32k objects, so S3 PUT/GET request
    /// costs and per-object overheads stay small and listing is quick; small enough to upload with
    /// one PUT (no multipart), to buffer per writer in memory, for a restore to fetch only the
    /// ranges it needs without large over-read, and for GC to rewrite a partly dead pack cheaply.
    /// </summary>
    public const int DefaultTargetSize = 32 << 20;

    /// <summary>Packs are addressed with 32-bit offsets; 1 GiB leaves room and bounds any buffer.</summary>
    public const int MaxTargetSize = 1 << 30;

    public static ReadOnlySpan<byte> HeaderMagic => "BNKPACK1"u8;
    public static ReadOnlySpan<byte> FooterMagic => "BNKPEND1"u8;
    public static ReadOnlySpan<byte> TableDomain => "bunker/pack-table/v1"u8;

    internal static void WriteEntry(Span<byte> destination, in PackEntry entry)
    {
        entry.Digest.CopyTo(destination);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[32..], entry.Offset);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[36..], entry.StoredLength);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[40..], entry.RawLength);
        destination[44] = (byte)entry.Codec;
    }

    internal static PackEntry ReadEntry(ReadOnlySpan<byte> source) => new(
        new ChunkDigest(source[..32]),
        BinaryPrimitives.ReadUInt32LittleEndian(source[32..]),
        BinaryPrimitives.ReadUInt32LittleEndian(source[36..]),
        BinaryPrimitives.ReadUInt32LittleEndian(source[40..]),
        (ChunkCodec)source[44]);
}

/// <summary>One chunk's place in a pack, as the pack's own table records it.</summary>
public readonly record struct PackEntry(ChunkDigest Digest, uint Offset, uint StoredLength, uint RawLength, ChunkCodec Codec)
{
    public ChunkLocation ToLocation(PackId pack) => new(pack, Offset, StoredLength, RawLength, Codec);
}
