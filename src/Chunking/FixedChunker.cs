namespace Bunker.Chunking;

/// <summary>Cuts every <see cref="MaxSize"/> bytes: for disk images, where offsets are stable.</summary>
public sealed class FixedChunker : IChunkBoundary
{
    public const int DefaultSize = 4 * 1024 * 1024;

    public FixedChunker(int chunkSize = DefaultSize)
    {
        if (chunkSize < 1 || chunkSize > FastCdcOptions.HighestMaxSize)
        {
            throw new ArgumentOutOfRangeException(
                nameof(chunkSize), chunkSize, $"Fixed chunk size must be in [1, {FastCdcOptions.HighestMaxSize}].");
        }

        MaxSize = chunkSize;
    }

    public int MaxSize { get; }

    public int NextCut(ReadOnlySpan<byte> data, bool final)
    {
        ChunkBoundaryGuard.CheckInput(data.Length, MaxSize, final);
        return Math.Min(data.Length, MaxSize);
    }
}
