using System.Runtime.InteropServices;
using RuntimeEnvironment = System.Runtime.InteropServices.RuntimeEnvironment;
using System.Text;
using Bunker.Chunking;

namespace Bunker.Storage.Tests;

/// <summary>
/// Deterministic inputs for the tests. The generator is xorshift64* (Vigna), written out here and
/// independent of the product's SplitMix64, so test data does not move when product code does.
/// </summary>
internal static class TestData
{
    public static ulong NextRandom(ref ulong state)
    {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        return state * 0x2545F4914F6CDD1DUL;
    }

    /// <summary>Pseudo-random, incompressible bytes.</summary>
    public static byte[] Random(int length, ulong seed)
    {
        var data = new byte[length];
        Span<ulong> words = MemoryMarshal.Cast<byte, ulong>(data.AsSpan());
        ulong state = seed | 1;
        for (int i = 0; i < words.Length; i++)
        {
            words[i] = NextRandom(ref state);
        }

        for (int i = words.Length * 8; i < data.Length; i++)
        {
            data[i] = (byte)NextRandom(ref state);
        }

        return data;
    }

    /// <summary>Log-like text: compressible, with repeats at a distance, like real backup data.</summary>
    public static byte[] Text(int length, ulong seed)
    {
        string[] words =
        [
            "backup", "chunk", "restore", "tenant", "snapshot", "archive", "pack", "index", "verify",
            "ERROR", "INFO", "WARN", "digest", "offset", "stream", "repository", "mirror", "store",
        ];
        ulong state = seed | 1;
        var text = new StringBuilder(length + 64);
        long line = 0;
        while (text.Length < length)
        {
            text.Append("2025-01-").Append(line++ % 28 + 1).Append(' ');
            int count = 4 + (int)(NextRandom(ref state) % 8);
            for (int i = 0; i < count; i++)
            {
                text.Append(words[NextRandom(ref state) % (ulong)words.Length]).Append(' ');
            }

            text.Append("id=").Append(NextRandom(ref state) % 100000).Append('\n');
        }

        return Encoding.ASCII.GetBytes(text.ToString(0, length));
    }

    /// <summary>Up to <paramref name="maxBytes"/> of the running .NET's own files (DLLs, JSON), in a fixed order.</summary>
    public static byte[] RuntimeFiles(int maxBytes)
    {
        string directory = RuntimeEnvironment.GetRuntimeDirectory();
        var output = new MemoryStream();
        foreach (string file in Directory.GetFiles(directory).Order(StringComparer.Ordinal))
        {
            byte[] content = File.ReadAllBytes(file);
            output.Write(content, 0, Math.Min(content.Length, maxBytes - (int)output.Length));
            if (output.Length >= maxBytes)
            {
                break;
            }
        }

        return output.ToArray();
    }

    /// <summary>Chunk lengths of <paramref name="data"/> through the span API.</summary>
    public static List<int> Cut(IChunkBoundary boundary, ReadOnlySpan<byte> data)
    {
        var lengths = new List<int>();
        while (!data.IsEmpty)
        {
            int length = boundary.NextCut(data, final: true);
            lengths.Add(length);
            data = data[length..];
        }

        return lengths;
    }
}
