using Bunker.Chunking;

namespace Bunker.Index;

/// <summary>
/// Where a chunk lives: the ChunkIndex value. <see cref="Offset"/> and <see cref="StoredLength"/>
/// address the encrypted record inside the pack; <see cref="RawLength"/> is the plaintext size.
/// </summary>
public readonly record struct ChunkLocation(PackId Pack, uint Offset, uint StoredLength, uint RawLength, ChunkCodec Codec);
