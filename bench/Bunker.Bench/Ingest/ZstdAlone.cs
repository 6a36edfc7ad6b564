using System.Diagnostics;
using Bunker.Bench.Workloads;
using Bunker.Chunking;
using Bunker.Chunking.Compression;

namespace Bunker.Bench.Ingest;

/// <summary>
/// The yardstick for the pipeline: zstd level 3 alone, one thread, on the very chunks the
/// pipeline cuts. Only the Compress calls are timed; reading, cutting and hashing are not.
/// </summary>
internal static class ZstdAlone
{
    /// <summary>
    /// Compress time over every chunk of the input, and over the first occurrence of each chunk
    /// only: the pipeline compresses just the latter, so on data that deduplicates the first
    /// yardstick flatters the pipeline and the second is the like-for-like one.
    /// </summary>
    public readonly record struct Timing(TimeSpan AllChunks, TimeSpan UniqueChunks, long UniqueBytes);

    public static Timing Measure(SourceTree tree)
    {
        var compressor = new ChunkCompressor(ChunkCompressor.DefaultLevel);
        var boundary = new FastCdcChunker();
        var destination = new byte[compressor.MaxStoredLength(boundary.MaxSize)];
        var seen = new HashSet<ChunkDigest>();
        long allTicks = 0, uniqueTicks = 0, uniqueBytes = 0;
        foreach (var file in tree.Files)
        {
            using var chunker = new StreamChunker(File.OpenRead(file.FullName), boundary);
            while (chunker.MoveNext())
            {
                var chunk = chunker.Current.Span;
                bool first = seen.Add(ChunkDigest.Compute(chunk));
                long start = Stopwatch.GetTimestamp();
                compressor.Compress(chunk, destination, out _);
                long ticks = Stopwatch.GetTimestamp() - start;
                allTicks += ticks;
                if (first)
                {
                    uniqueTicks += ticks;
                    uniqueBytes += chunk.Length;
                }
            }
        }
        return new Timing(Stopwatch.GetElapsedTime(0, allTicks), Stopwatch.GetElapsedTime(0, uniqueTicks), uniqueBytes);
    }
}
