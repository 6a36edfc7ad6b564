namespace Bunker.Bench.Measurement;

/// <summary>Resident memory of a process, read from /proc/PID/status (Linux only).</summary>
internal static class ProcessMemory
{
    /// <summary>Current resident set size in bytes.</summary>
    public static long Resident(int? pid = null) => ReadKilobytes(pid, "VmRSS:") * 1024;

    /// <summary>Peak resident set size ("high water mark") since the process started, or since <see cref="TryResetPeak"/>, in bytes.</summary>
    public static long PeakResident(int? pid = null) => ReadKilobytes(pid, "VmHWM:") * 1024;

    /// <summary>
    /// Sets the high water mark back to the current RSS (writing 5 to /proc/PID/clear_refs, Linux 4.0+), so that
    /// the next <see cref="PeakResident"/> covers only what follows. False when the kernel refuses.
    /// </summary>
    public static bool TryResetPeak(int? pid = null)
    {
        try
        {
            File.WriteAllText($"/proc/{Which(pid)}/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    public static string Describe(long bytes) => $"{bytes / (double)Units.MiB:F1} MiB";

    private static string Which(int? pid) => pid?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "self";

    private static long ReadKilobytes(int? pid, string field)
    {
        string path = $"/proc/{Which(pid)}/status";
        foreach (var line in File.ReadLines(path))
        {
            if (!line.StartsWith(field, StringComparison.Ordinal))
                continue;
            var value = line[field.Length..].Trim();
            return long.Parse(value[..value.IndexOf(' ')]);
        }
        throw new InvalidOperationException($"{path} has no {field} line");
    }
}
