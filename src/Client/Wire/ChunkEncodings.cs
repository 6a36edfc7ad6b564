using Bunker.Chunking;
using Bunker.Protocol.V1;

namespace Bunker.Client.Wire;

/// <summary>The wire's <see cref="ChunkEncoding"/> and the compressor's <see cref="ChunkCodec"/> name the same two encodings.</summary>
internal static class ChunkEncodings
{
    public static ChunkEncoding ToWire(ChunkCodec codec) => codec switch
    {
        ChunkCodec.None => ChunkEncoding.None,
        ChunkCodec.Zstd => ChunkEncoding.Zstd,
        _ => throw new ArgumentOutOfRangeException(nameof(codec), codec, "no wire encoding for this codec"),
    };

    /// <summary>The codec of a chunk the server sent; <see cref="InvalidDataException"/> for an encoding this client does not know.</summary>
    public static ChunkCodec FromWire(ChunkEncoding encoding, in ChunkDigest digest) => encoding switch
    {
        ChunkEncoding.None => ChunkCodec.None,
        ChunkEncoding.Zstd => ChunkCodec.Zstd,
        _ => throw new InvalidDataException($"chunk {digest} arrived in unknown encoding {(int)encoding}"),
    };
}
