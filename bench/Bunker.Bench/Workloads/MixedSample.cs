using Bunker.Bench.Measurement;

namespace Bunker.Bench.Workloads;

/// <summary>
/// The in-memory data every stage runs over: half real binaries (the .NET runtime's DLLs, which
/// compress about 2:1 like typical program files) and half pseudo-random bytes (incompressible,
/// like media or already-compressed data). They alternate in 8 MiB blocks so that chunks and
/// packs see both kinds, as a real backup does.
/// </summary>
internal static class MixedSample
{
    private const string RealFilesRoot = "/usr/share/dotnet/shared";
    private const int BlockSize = 8 * Units.MiB;
    private const int Seed = 20240601;

    public static byte[] Create(int mebibytes)
    {
        var data = new byte[checked(mebibytes * Units.MiB)];
        var real = ReadRealFiles(data.Length / 2 + BlockSize);
        var random = new Random(Seed);
        int realAt = 0;
        for (int at = 0, block = 0; at < data.Length; at += BlockSize, block++)
        {
            var target = data.AsSpan(at, Math.Min(BlockSize, data.Length - at));
            if (block % 2 == 0)
            {
                real.AsSpan(realAt, target.Length).CopyTo(target);
                realAt += target.Length;
            }
            else
            {
                random.NextBytes(target);
            }
        }
        return data;
    }

    /// <summary>Concatenates DLLs in sorted path order (stable across runs), repeating them if there are too few.</summary>
    private static byte[] ReadRealFiles(int length)
    {
        var files = Directory.GetFiles(RealFilesRoot, "*.dll", SearchOption.AllDirectories);
        if (files.Length == 0)
            throw new InvalidOperationException($"no *.dll under {RealFilesRoot} to sample real data from");
        Array.Sort(files, StringComparer.Ordinal);
        var buffer = new byte[length];
        int filled = 0;
        for (int i = 0; filled < length; i = (i + 1) % files.Length)
        {
            using var stream = File.OpenRead(files[i]);
            filled += stream.ReadAtLeast(buffer.AsSpan(filled), buffer.Length - filled, throwOnEndOfStream: false);
        }
        return buffer;
    }
}
