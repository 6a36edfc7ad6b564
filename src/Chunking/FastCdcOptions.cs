using System.Numerics;

namespace Bunker.Chunking;

/// <summary>Chunk size bounds for <see cref="FastCdcChunker"/>.</summary>
public sealed record FastCdcOptions
{
    /// <summary>Smallest sane minimum: below this, per-chunk overhead dominates.</summary>
    public const int LowestMinSize = 64;

    /// <summary>Largest allowed maximum (a stream chunker buffers about twice this).</summary>
    public const int HighestMaxSize = 256 * 1024 * 1024;

    /// <summary>Defaults for backup streams: 512 KiB / 1 MiB / 8 MiB.</summary>
    public static FastCdcOptions Default { get; } = new();

    /// <summary>No chunk is shorter, except the last one of a stream. Bytes before it are not hashed.</summary>
    public int MinSize { get; init; } = 512 * 1024;

    /// <summary>The target average; must be a power of two.</summary>
    public int AverageSize { get; init; } = 1024 * 1024;

    /// <summary>No chunk is longer.</summary>
    public int MaxSize { get; init; } = 8 * 1024 * 1024;

    /// <summary>Throws <see cref="ArgumentException"/> unless min &lt; avg &lt; max, avg is a power of two, and the bounds are sane.</summary>
    public void Validate()
    {
        if (MinSize < LowestMinSize)
        {
            throw Invalid($"MinSize ({MinSize}) must be at least {LowestMinSize} bytes.");
        }

        if (MaxSize > HighestMaxSize)
        {
            throw Invalid($"MaxSize ({MaxSize}) must be at most {HighestMaxSize} bytes.");
        }

        if (MinSize >= AverageSize || AverageSize >= MaxSize)
        {
            throw Invalid(
                $"sizes must satisfy MinSize < AverageSize < MaxSize; got {MinSize} / {AverageSize} / {MaxSize}.");
        }

        if (!BitOperations.IsPow2(AverageSize))
        {
            throw Invalid($"AverageSize ({AverageSize}) must be a power of two.");
        }
    }

    private static ArgumentException Invalid(string message) =>
        new("Invalid FastCDC options: " + message, "options");
}
