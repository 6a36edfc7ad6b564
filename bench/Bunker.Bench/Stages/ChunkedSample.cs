using Bunker.Chunking;
using Bunker.Chunking.Compression;

namespace Bunker.Bench.Stages;

/// <summary>
/// The sample cut once with FastCDC, with each chunk's digest and zstd encoding prepared ahead,
/// so that every later stage is timed on exactly its own input and nothing else.
/// </summary>
internal sealed class ChunkedSample
{
    private ChunkedSample(byte[] data, List<Range> chunks)
    {
        Data = data;
        Chunks = chunks;
        Digests = chunks.Select(c => ChunkDigest.Compute(data.AsSpan(c))).ToArray();
        var compressor = new ChunkCompressor(ChunkCompressor.DefaultLevel);
        Encoded = new byte[chunks.Count][];
        Codecs = new ChunkCodec[chunks.Count];
        var scratch = new byte[compressor.MaxStoredLength(MaxChunkLength)];
        for (int i = 0; i < chunks.Count; i++)
        {
            Codecs[i] = compressor.Compress(Chunk(i), scratch, out int written);
            Encoded[i] = scratch.AsSpan(0, written).ToArray();
        }
    }

    public byte[] Data { get; }
    public List<Range> Chunks { get; }
    public ChunkDigest[] Digests { get; }
    public byte[][] Encoded { get; }
    public ChunkCodec[] Codecs { get; }
    public int MaxChunkLength => Chunks.Max(c => c.GetOffsetAndLength(Data.Length).Length);
    public long EncodedBytes => Encoded.Sum(e => (long)e.Length);
    public double MeanChunkLength => Data.Length / (double)Chunks.Count;

    public ReadOnlySpan<byte> Chunk(int i) => Data.AsSpan(Chunks[i]);

    public static ChunkedSample Create(byte[] data) => new(data, Cut(data, new FastCdcChunker()));

    /// <summary>Cuts the whole buffer as a stream would be cut; this loop is also the chunking stage's body.</summary>
    public static List<Range> Cut(byte[] data, IChunkBoundary boundary)
    {
        var chunks = new List<Range>(data.Length / (512 * 1024) + 1);
        int at = 0;
        while (at < data.Length)
        {
            int remaining = data.Length - at;
            bool final = remaining <= boundary.MaxSize;
            int length = boundary.NextCut(data.AsSpan(at, final ? remaining : boundary.MaxSize), final);
            chunks.Add(at..(at + length));
            at += length;
        }
        return chunks;
    }
}
