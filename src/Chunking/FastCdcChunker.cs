using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Bunker.Chunking;

/// <summary>
/// Content-defined chunking with FastCDC (Xia et al., USENIX ATC 2016) and normalized chunking
/// at level 2. A gear hash <c>h = (h &lt;&lt; 1) + Gear[b]</c> rolls over the bytes; a cut follows
/// the first byte where the hash's top bits, selected by a mask, are all zero. Before the average
/// size the mask has two bits more than log2(average) (cuts are 4x rarer), after it two bits
/// fewer (4x likelier), which pulls chunk sizes toward the average.
/// </summary>
/// <remarks>
/// The masks use the HIGH bits of the hash: after the shift, bit k of h depends on the last
/// k+1 bytes only, so the top bits are the ones that see a full 64-byte window.
/// Cut points are persisted indirectly (they decide which chunks dedup), so the gear table and
/// this algorithm must never change without a new chunker identity.
/// </remarks>
public sealed class FastCdcChunker : IChunkBoundary
{
    /// <summary>Seed of the gear table ("BunkerCD" in ASCII). Changing it changes every cut point.</summary>
    internal const ulong GearSeed = 0x42756E6B65724344UL;

    /// <summary>Level of normalization: the bits added before, and removed after, the average point.</summary>
    private const int NormalizationLevel = 2;

    internal static readonly ulong[] Gear = CreateGear();

    private readonly int _minSize;
    private readonly int _averageSize;
    private readonly ulong _maskStrict;
    private readonly ulong _maskLoose;

    public FastCdcChunker()
        : this(FastCdcOptions.Default)
    {
    }

    public FastCdcChunker(FastCdcOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _minSize = options.MinSize;
        _averageSize = options.AverageSize;
        MaxSize = options.MaxSize;

        int bits = BitOperations.Log2((uint)options.AverageSize);
        _maskStrict = HighBits(bits + NormalizationLevel);
        _maskLoose = HighBits(bits - NormalizationLevel);
    }

    public int MaxSize { get; }

    public int NextCut(ReadOnlySpan<byte> data, bool final)
    {
        ChunkBoundaryGuard.CheckInput(data.Length, MaxSize, final);

        int end = Math.Min(data.Length, MaxSize);
        if (end <= _minSize)
        {
            return end;
        }

        int normal = Math.Min(end, _averageSize);
        ref byte start = ref MemoryMarshal.GetReference(data);
        ref ulong gear = ref MemoryMarshal.GetArrayDataReference(Gear);

        ulong hash = 0;
        int cut = Scan(ref start, ref gear, _minSize, normal, _maskStrict, ref hash);
        if (cut < 0)
        {
            cut = Scan(ref start, ref gear, normal, end, _maskLoose, ref hash);
        }

        return cut < 0 ? end : cut;
    }

    /// <summary>
    /// Rolls the hash over <c>[from, to)</c>; returns the chunk length at the first cut, or -1.
    /// The caller guarantees 0 &lt;= from &lt;= to &lt;= the span length, so reads are unchecked.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Scan(ref byte data, ref ulong gear, int from, int to, ulong mask, ref ulong hash)
    {
        ulong h = hash;
        nint i = from;
        nint last = to;

        // Two bytes per iteration halves the loop overhead; each byte is still tested.
        for (; i + 1 < last; i += 2)
        {
            h = (h << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref data, i));
            if ((h & mask) == 0)
            {
                return (int)i + 1;
            }

            h = (h << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref data, i + 1));
            if ((h & mask) == 0)
            {
                return (int)i + 2;
            }
        }

        if (i < last)
        {
            h = (h << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref data, i));
            if ((h & mask) == 0)
            {
                return (int)i + 1;
            }
        }

        hash = h;
        return -1;
    }

    private static ulong HighBits(int count) => ~0UL << (64 - count);

    private static ulong[] CreateGear()
    {
        var table = new ulong[256];
        var rng = new SplitMix64(GearSeed);
        for (int i = 0; i < table.Length; i++)
        {
            table[i] = rng.Next();
        }

        return table;
    }
}
