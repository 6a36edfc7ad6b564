namespace Bunker.Chunking;

/// <summary>
/// SplitMix64 (Steele, Lea and Flood, 2014): a fully specified 64-bit generator, used where a
/// sequence must be identical on every run and machine (the FastCDC gear table).
/// Never replace it with <see cref="Random"/> or <see cref="HashCode"/>, whose output is not pinned.
/// </summary>
internal struct SplitMix64(ulong seed)
{
    private ulong _state = seed;

    public ulong Next()
    {
        _state += 0x9E3779B97F4A7C15UL;
        ulong z = _state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
