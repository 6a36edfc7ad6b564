using System.Buffers.Binary;
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
        ulong state = (ulong)number * 0x9E3779B97F4A7C15UL;
        for (int i = 0; i < ChunkDigest.Size; i += sizeof(ulong))
            BinaryPrimitives.WriteUInt64LittleEndian(bytes[i..], Mix(ref state));
        return new ChunkDigest(bytes);
    }

    /// <summary>A plausible location: the index stores it as is and never follows it.</summary>
    public static ChunkLocation Location(long number) =>
        new(PackId.FromHash(Get(~number)), (uint)(number % 32_000_000), 700_000, 1_000_000, ChunkCodec.Zstd);

    // SplitMix64's output step: a bijection with good avalanche, so digests look uniformly random.
    private static ulong Mix(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
