using Bunker.Chunking;
using Bunker.Client.Backup;

namespace Bunker.Client.Tests.Backup;

/// <summary>The write-side chunking stream: its cuts depend on the bytes only, never on how they were written.</summary>
public sealed class ChunkingArchiveStreamTests
{
    private static readonly FastCdcOptions Small = new() { MinSize = 2048, AverageSize = 8192, MaxSize = 32768 };

    private static byte[] Data(int length)
    {
        var data = new byte[length];
        new Random(11).NextBytes(data);
        return data;
    }

    /// <summary>The chunks StreamChunker cuts when reading the same bytes: the reference.</summary>
    private static List<byte[]> Reference(byte[] data)
    {
        var chunks = new List<byte[]>();
        using var chunker = new StreamChunker(new MemoryStream(data), new FastCdcChunker(Small));
        while (chunker.MoveNext()) chunks.Add(chunker.Current.ToArray());
        return chunks;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(1000)]
    [InlineData(70_000)]
    public async Task Chunks_are_those_of_the_whole_stream_whatever_the_write_sizes(int largestWrite)
    {
        var data = Data(1_000_000);
        var chunks = new List<byte[]>();
        await using var stream = new ChunkingArchiveStream((chunk, _) =>
        {
            chunks.Add(chunk.ToArray());
            return default;
        }, new FastCdcChunker(Small));
        var random = new Random(largestWrite);
        for (int at = 0; at < data.Length;)
        {
            int take = Math.Min(random.Next(1, largestWrite + 1), data.Length - at);
            await stream.WriteAsync(data.AsMemory(at, take));
            await stream.FlushAsync(); // never a cut
            at += take;
        }
        await stream.CompleteAsync();

        Assert.Equal(Reference(data), chunks);
        Assert.Equal(data.Length, stream.Length);
        await Assert.ThrowsAsync<InvalidOperationException>(() => stream.WriteAsync(new byte[1]).AsTask());
    }

    [Fact]
    public async Task An_empty_stream_gives_no_chunk_and_a_short_one_gives_one()
    {
        var chunks = new List<int>();
        ValueTask Sink(ReadOnlyMemory<byte> chunk, CancellationToken _)
        {
            chunks.Add(chunk.Length);
            return default;
        }
        await using (var empty = new ChunkingArchiveStream(Sink, new FastCdcChunker(Small)))
            await empty.CompleteAsync();
        Assert.Empty(chunks);

        await using var shortOne = new ChunkingArchiveStream(Sink, new FastCdcChunker(Small));
        shortOne.Write(new byte[100], 0, 100);
        await shortOne.CompleteAsync();
        Assert.Equal([100], chunks);
    }
}
