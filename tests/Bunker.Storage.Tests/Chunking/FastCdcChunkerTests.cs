using System.Security.Cryptography;
using Bunker.Chunking;
using Xunit.Abstractions;

namespace Bunker.Storage.Tests.Chunking;

public class FastCdcChunkerTests(ITestOutputHelper output)
{
    private static readonly FastCdcOptions Small = new() { MinSize = 256, AverageSize = 1024, MaxSize = 4096 };

    private static readonly FastCdcOptions Medium = new() { MinSize = 2 * 1024, AverageSize = 8 * 1024, MaxSize = 64 * 1024 };

    // One 64 MiB random input shared by the tests of this class (generated once, ~0.1 s).
    private static readonly Lazy<byte[]> Random64MiB = new(() => TestData.Random(64 * 1024 * 1024, 0xB0B));

    public static TheoryData<string> OptionSets => new() { "default", "medium" };

    private static FastCdcOptions Options(string name) => name == "default" ? FastCdcOptions.Default : Medium;

    [Fact]
    public void SplitMix64_MatchesTheReferenceSequence()
    {
        // Reference values of SplitMix64 seeded with 1234567 (Vigna's splitmix64.c).
        var rng = new SplitMix64(1234567);
        Assert.Equal(6457827717110365317UL, rng.Next());
        Assert.Equal(3203168211198807973UL, rng.Next());
        Assert.Equal(9817491932198370423UL, rng.Next());
    }

    [Fact]
    public void GearTable_IsPinned()
    {
        Assert.Equal(256, FastCdcChunker.Gear.Length);
        Assert.Equal(0x4DCF9DFF9B01785AUL, FastCdcChunker.Gear[0]);
        Assert.Equal(0x9203EFB19BAC6DB2UL, FastCdcChunker.Gear[1]);
        Assert.Equal(0xF035A4C4A39DD18FUL, FastCdcChunker.Gear[2]);
        Assert.Equal(0xC8AFE270046A151FUL, FastCdcChunker.Gear[3]);
        Assert.Equal(256, FastCdcChunker.Gear.Distinct().Count());
    }

    [Fact]
    public void CutPoints_AreStable()
    {
        // Golden list: if this fails, the gear table or the algorithm changed, and with it every
        // cut point in every existing repository (dedup against old backups would be lost).
        int[] golden =
        [
            859, 1129, 1193, 1568, 1369, 1202, 1538, 1334, 905, 643, 1156, 1250, 1257, 1173, 1038, 523, 828, 1229, 1438,
            1319, 1123, 1132, 369, 1449, 1257, 445, 763, 1085, 2140, 1548, 1044, 1187, 1355, 1069, 1073, 1204, 1368, 1368,
            1154, 1157, 1149, 1268, 1408, 1377, 1229, 1099, 1069, 1141, 1585, 1052, 1491, 1142, 1070, 1030, 1158, 449, 578,
        ];
        var lengths = TestData.Cut(new FastCdcChunker(Small), TestData.Random(64 * 1024, 0x5EED));
        Assert.Equal(golden, lengths);
    }

    [Theory]
    [InlineData(32, 1024, 4096, "MinSize (32) must be at least 64")]
    [InlineData(1024, 1024, 4096, "MinSize < AverageSize < MaxSize")]
    [InlineData(256, 4096, 4096, "MinSize < AverageSize < MaxSize")]
    [InlineData(2048, 1024, 4096, "MinSize < AverageSize < MaxSize")]
    [InlineData(256, 1000, 4096, "AverageSize (1000) must be a power of two")]
    [InlineData(256, 1024, 512 * 1024 * 1024, "MaxSize (536870912) must be at most")]
    public void InvalidOptions_ThrowWithAClearMessage(int min, int avg, int max, string expected)
    {
        var options = new FastCdcOptions { MinSize = min, AverageSize = avg, MaxSize = max };
        var error = Assert.Throws<ArgumentException>(() => new FastCdcChunker(options));
        Assert.Contains(expected, error.Message);
        Assert.Contains("FastCDC", error.Message);
    }

    [Fact]
    public void Contract_RejectsShortNonFinalInputAndEmptyInput()
    {
        var chunker = new FastCdcChunker(Small);
        Assert.Throws<ArgumentException>(() => chunker.NextCut(new byte[Small.MaxSize - 1], final: false));
        Assert.Throws<ArgumentException>(() => chunker.NextCut([], final: true));
        Assert.Equal(10, chunker.NextCut(new byte[10], final: true));
    }

    [Fact]
    public void Cut_OnlyLooksAtTheFirstMaxSizeBytes()
    {
        var chunker = new FastCdcChunker(Small);
        byte[] data = TestData.Random(3 * Small.MaxSize, 7);
        int exact = chunker.NextCut(data.AsSpan(0, Small.MaxSize), final: false);
        Assert.Equal(exact, chunker.NextCut(data, final: false));
        Assert.Equal(exact, chunker.NextCut(data, final: true));
    }

    [Theory]
    [MemberData(nameof(OptionSets))]
    public void ChunkSizes_RespectMinAndMax(string optionSet)
    {
        FastCdcOptions options = Options(optionSet);
        var chunker = new FastCdcChunker(options);
        foreach (byte[] data in new[] { TestData.Random(16 * 1024 * 1024, 3), TestData.Text(16 * 1024 * 1024, 3), new byte[16 * 1024 * 1024] })
        {
            var lengths = TestData.Cut(chunker, data);
            Assert.Equal(data.Length, lengths.Sum());
            Assert.All(lengths, l => Assert.InRange(l, 1, options.MaxSize));
            Assert.All(lengths.Take(lengths.Count - 1), l => Assert.InRange(l, options.MinSize + 1, options.MaxSize));
        }

        // Zero bytes never match a mask (the gear hash of a constant run is constant and non-zero
        // in the top bits), so they cut at MaxSize.
        Assert.Equal(options.MaxSize, chunker.NextCut(new byte[options.MaxSize], final: false));
    }

    [Theory]
    [MemberData(nameof(OptionSets))]
    public void NormalizedChunking_ConcentratesSizesNearTheAverage(string optionSet)
    {
        FastCdcOptions options = Options(optionSet);
        var lengths = TestData.Cut(new FastCdcChunker(options), Random64MiB.Value);
        var full = lengths.Take(lengths.Count - 1).ToList();
        double mean = full.Average();
        double withinHalfToDouble = full.Count(l => l >= options.AverageSize / 2 && l <= options.AverageSize * 2) / (double)full.Count;
        output.WriteLine($"{optionSet}: {full.Count} chunks, mean {mean / options.AverageSize:F3} x average, " +
                         $"{withinHalfToDouble:P1} within [avg/2, 2 avg], largest {full.Max()}");

        Assert.InRange(mean, options.AverageSize * 0.75, options.AverageSize * 1.25);
        Assert.True(withinHalfToDouble >= 0.8, $"only {withinHalfToDouble:P1} of chunks within [avg/2, 2 avg]");
    }

    [Theory]
    [InlineData("default", 0, 317)]
    [InlineData("medium", 0, 317)]
    [InlineData("default", 33 * 1024 * 1024 + 12345, 5)]
    [InlineData("medium", 33 * 1024 * 1024 + 12345, 5)]
    public void Insertion_KeepsMostChunksShared(string optionSet, int at, int inserted)
    {
        var chunker = new FastCdcChunker(Options(optionSet));
        byte[] original = Random64MiB.Value;
        byte[] shifted = [.. original.AsSpan(0, at), .. TestData.Random(inserted, 99), .. original.AsSpan(at)];

        var known = Digests(chunker, original).Select(c => c.Digest).ToHashSet();
        var chunks = Digests(chunker, shifted);
        long sharedBytes = chunks.Where(c => known.Contains(c.Digest)).Sum(c => (long)c.Length);
        double shared = sharedBytes / (double)shifted.Length;
        output.WriteLine($"{optionSet}: {inserted} bytes at {at}: {shared:P2} of bytes in shared chunks ({chunks.Count} chunks)");

        Assert.True(shared >= 0.9, $"only {shared:P2} of bytes dedup after the insertion");
    }

    [Fact]
    public void RuntimeFiles_ChunkWithinBounds()
    {
        byte[] data = TestData.RuntimeFiles(32 * 1024 * 1024);
        var lengths = TestData.Cut(new FastCdcChunker(Medium), data);
        Assert.Equal(data.Length, lengths.Sum());
        Assert.All(lengths.Take(lengths.Count - 1), l => Assert.InRange(l, Medium.MinSize + 1, Medium.MaxSize));
        output.WriteLine($"{data.Length} bytes of runtime files: {lengths.Count} chunks, mean {lengths.Average():F0}");
    }

    private static List<(string Digest, int Length)> Digests(IChunkBoundary chunker, byte[] data)
    {
        var result = new List<(string, int)>();
        int offset = 0;
        foreach (int length in TestData.Cut(chunker, data))
        {
            result.Add((Convert.ToHexString(SHA256.HashData(data.AsSpan(offset, length))), length));
            offset += length;
        }

        return result;
    }
}
