namespace Bunker.Server.Tests.Daemon;

/// <summary>Deterministic test chunks.</summary>
public static class Chunks
{
    public static List<byte[]> Random(int count, int seed, int minSize = 1000, int maxSize = 200_000, bool compressible = true)
    {
        var random = new Random(seed);
        var list = new List<byte[]>(count);
        for (int i = 0; i < count; i++)
        {
            var chunk = new byte[random.Next(minSize, maxSize)];
            random.NextBytes(chunk);
            // Half of each chunk repeats a short pattern so zstd has something to do.
            if (compressible)
                for (int j = chunk.Length / 2; j < chunk.Length; j++) chunk[j] = (byte)(j % 7);
            list.Add(chunk);
        }
        return list;
    }
}
