using System.Diagnostics;
using Bunker.Bench.Workloads;
using Bunker.Storage.Chunking;
using Bunker.Storage.Compression;

namespace Bunker.Bench.Ingest;

/// <summary>
/// The yardstick for the pipeline: zstd level 3 alone, one thread, on the very chunks the
/// pipeline compresses. Only the Compress calls are timed; reading and cutting are not.
/// </summary>
internal static class ZstdAlone
{
    public static TimeSpan Measure(SourceTree tree)
    {
        var compressor = new ChunkCompressor(ChunkCompressor.DefaultLevel);
        var boundary = new FastCdcChunker();
        var destination = new byte[compressor.MaxStoredLength(boundary.MaxSize)];
        long ticks = 0;
        foreach (var file in tree.Files)
        {
            using var chunker = new StreamChunker(File.OpenRead(file.FullName), boundary);
            while (chunker.MoveNext())
            {
                long start = Stopwatch.GetTimestamp();
                compressor.Compress(chunker.Current.Span, destination, out _);
                ticks += Stopwatch.GetTimestamp() - start;
            }
        }
        return Stopwatch.GetElapsedTime(0, ticks);
    }
}
