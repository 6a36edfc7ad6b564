using System.Runtime.InteropServices;

namespace Bunker.Bench.Measurement;

/// <summary>One line that says where figures were measured: cores, CPU model, memory, kernel, .NET.</summary>
internal static class MachineDescription
{
    public static string Describe()
    {
        string cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?"
            : "?";
        long memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return $"{Environment.ProcessorCount} cores, {cpu}, {memory / (double)(1L << 30):F0} GiB, {RuntimeInformation.OSDescription}, .NET {Environment.Version}";
    }
}
