using Bunker.Chunking;
using Bunker.Protocol.V1;

namespace Bunker.Protocol;

/// <summary>
/// The wire's <see cref="ChunkEncoding"/> and the compressor's and store's <see cref="ChunkCodec"/>
/// name the same encodings; this is their one mapping, for the client and the server alike.
/// </summary>
public static class ChunkEncodings
{
    public static ChunkEncoding ToWire(ChunkCodec codec) => codec switch
    {
        ChunkCodec.None => ChunkEncoding.None,
        ChunkCodec.Zstd => ChunkEncoding.Zstd,
        _ => throw new ArgumentOutOfRangeException(nameof(codec), codec, "no wire encoding for this codec"),
    };

    /// <summary>The codec of a chunk that came over the wire; false for an encoding this build does not know.</summary>
    public static bool TryFromWire(ChunkEncoding encoding, out ChunkCodec codec)
    {
        switch (encoding)
        {
            case ChunkEncoding.None:
                codec = ChunkCodec.None;
                return true;
            case ChunkEncoding.Zstd:
                codec = ChunkCodec.Zstd;
                return true;
            default:
                codec = default;
                return false;
        }
    }
}
