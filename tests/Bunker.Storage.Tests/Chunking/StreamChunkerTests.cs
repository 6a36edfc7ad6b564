using Bunker.Chunking;

namespace Bunker.Storage.Tests.Chunking;

public class StreamChunkerTests
{
    private static readonly FastCdcOptions Small = new() { MinSize = 256, AverageSize = 1024, MaxSize = 4096 };

    public static TheoryData<string, int, int> Cases => new()
    {
        // boundary, input length, largest short read
        { "fastcdc", 1_000_000, 1 + 4096 },
        { "fastcdc", 1_000_000, 7 },
        { "fastcdc", 300_000, 20_000 },
        { "fastcdc", 100, 13 },
        { "fastcdc", 0, 13 },
        { "fixed", 1_000_003, 999 },
        { "fixed", 3000, 3000 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ShortReads_GiveTheSameChunksAsTheSpanApi(string kind, int length, int maxRead)
    {
        byte[] data = TestData.Random(length, (ulong)length);
        IChunkBoundary boundary = Boundary(kind);
        using var chunker = new StreamChunker(new ShortReadStream(data, maxRead, 42), boundary);

        var chunks = new List<(long Offset, int Length)>();
        while (chunker.MoveNext())
        {
            Assert.True(data.AsSpan((int)chunker.CurrentOffset, chunker.Current.Length).SequenceEqual(chunker.Current.Span));
            chunks.Add((chunker.CurrentOffset, chunker.Current.Length));
        }

        Assert.Equal(Expected(boundary, data), chunks);
        Assert.False(chunker.MoveNext());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task ShortReadsAsync_GiveTheSameChunksAsTheSpanApi(string kind, int length, int maxRead)
    {
        byte[] data = TestData.Random(length, (ulong)length);
        IChunkBoundary boundary = Boundary(kind);
        using var chunker = new StreamChunker(new ShortReadStream(data, maxRead, 43), boundary);

        var chunks = new List<(long Offset, int Length)>();
        var copy = new MemoryStream();
        while (await chunker.MoveNextAsync())
        {
            Assert.Equal(copy.Length, chunker.CurrentOffset);
            copy.Write(chunker.Current.Span);
            chunks.Add((chunker.CurrentOffset, chunker.Current.Length));
        }

        Assert.Equal(Expected(boundary, data), chunks);
        Assert.Equal(data, copy.ToArray());
    }

    [Fact]
    public void DefaultSizes_OverRuntimeFiles_MatchTheSpanApi()
    {
        byte[] data = TestData.RuntimeFiles(24 * 1024 * 1024);
        var boundary = new FastCdcChunker();
        using var chunker = new StreamChunker(new ShortReadStream(data, 1 << 20, 44), boundary);
        var chunks = new List<(long Offset, int Length)>();
        while (chunker.MoveNext())
        {
            chunks.Add((chunker.CurrentOffset, chunker.Current.Length));
        }

        Assert.Equal(Expected(boundary, data), chunks);
    }

    [Fact]
    public void MoveNext_DoesNotAllocatePerChunk()
    {
        byte[] data = TestData.Random(4 * 1024 * 1024, 5);
        // One whole pass first: whatever the runtime allocates once on this thread (the pool's buffers,
        // lazily built statics, tiering under load) then falls outside the measured pass.
        using (var warmup = new StreamChunker(new MemoryStream(data), new FastCdcChunker(Small)))
            while (warmup.MoveNext()) { }
        using var chunker = new StreamChunker(new MemoryStream(data), new FastCdcChunker(Small));
        chunker.MoveNext(); // first call may rent the pool's buffers
        long before = GC.GetAllocatedBytesForCurrentThread();
        int count = 1;
        while (chunker.MoveNext())
        {
            count++;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(count > 3000, $"{count} chunks");
        Assert.True(allocated < 1024, $"{allocated} bytes allocated for {count} chunks");
    }

    [Fact]
    public void Dispose_ClosesTheStreamUnlessLeftOpen()
    {
        var owned = new ShortReadStream([1, 2, 3], 2, 1);
        new StreamChunker(owned, new FixedChunker(2)).Dispose();
        Assert.True(owned.Disposed);

        var borrowed = new ShortReadStream([1, 2, 3], 2, 1);
        var chunker = new StreamChunker(borrowed, new FixedChunker(2), leaveOpen: true);
        chunker.Dispose();
        chunker.Dispose();
        Assert.False(borrowed.Disposed);
        Assert.Throws<ObjectDisposedException>(() => chunker.MoveNext());
    }

    [Fact]
    public void FixedChunker_CutsAtItsSize()
    {
        var chunker = new FixedChunker(1000);
        Assert.Equal([1000, 1000, 500], TestData.Cut(chunker, new byte[2500]));
        Assert.Equal(FixedChunker.DefaultSize, new FixedChunker().MaxSize);
        Assert.Throws<ArgumentException>(() => chunker.NextCut(new byte[999], final: false));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FixedChunker(0));
    }

    private static IChunkBoundary Boundary(string kind) => kind == "fixed" ? new FixedChunker(4000) : new FastCdcChunker(Small);

    private static List<(long Offset, int Length)> Expected(IChunkBoundary boundary, byte[] data)
    {
        long offset = 0;
        var expected = new List<(long, int)>();
        foreach (int length in TestData.Cut(boundary, data))
        {
            expected.Add((offset, length));
            offset += length;
        }

        return expected;
    }
}
