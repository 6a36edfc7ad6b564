using System.Buffers.Binary;
using Bunker.Chunking;
using Bunker.Index;

namespace Bunker.Bench.Workloads;

/// <summary>
/// Digest number i, computed on demand: the index benchmark fills tens of millions of entries and
/// later asks for a random sample of them without keeping every digest in memory (which would
/// itself be hundreds of MiB and spoil the RSS figure).
/// </summary>
internal static class SyntheticDigests
{
    public static ChunkDigest Get(long number)
    {
        Span<byte> bytes = stackalloc byte[ChunkDigest.Size];
        // SplitMix64 has good avalanche, so consecutive numbers give uniformly random-looking digests.
        var random = new SplitMix64((ulong)number * 0x9E3779B97F4A7C15UL);
        for (int i = 0; i < ChunkDigest.Size; i += sizeof(ulong))
            BinaryPrimitives.WriteUInt64LittleEndian(bytes[i..], random.Next());
        return new ChunkDigest(bytes);
    }

    /// <summary>A plausible location: the index stores it as is and never follows it.</summary>
    public static ChunkLocation Location(long number) =>
        new(PackId.FromHash(Get(~number)), (uint)(number % 32_000_000), 700_000, 1_000_000, ChunkCodec.Zstd);

}
