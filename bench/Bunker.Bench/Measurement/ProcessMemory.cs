namespace Bunker.Bench.Measurement;

/// <summary>Resident memory of this process, read from /proc/self/status (Linux only).</summary>
internal static class ProcessMemory
{
    /// <summary>Current resident set size in bytes.</summary>
    public static long Resident() => ReadKilobytes("VmRSS:") * 1024;

    /// <summary>Peak resident set size ("high water mark") since the process started, in bytes.</summary>
    public static long PeakResident() => ReadKilobytes("VmHWM:") * 1024;

    public static string Describe(long bytes) => $"{bytes / (double)Units.MiB:F1} MiB";

    private static long ReadKilobytes(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (!line.StartsWith(field, StringComparison.Ordinal))
                continue;
            var value = line[field.Length..].Trim();
            return long.Parse(value[..value.IndexOf(' ')]);
        }
        throw new InvalidOperationException($"/proc/self/status has no {field} line");
    }
}
