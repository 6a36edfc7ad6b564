using System.Diagnostics;
using System.Globalization;

namespace Bunker.Bench.Measurement;

/// <summary>CPU time of a running process and the machine's load: on a shared machine, CPU seconds still compare when wall times do not.</summary>
internal static class ProcessCpu
{
    /// <summary>User + system CPU time that process <paramref name="pid"/> has used so far.</summary>
    public static TimeSpan Total(int pid)
    {
        using var process = Process.GetProcessById(pid);
        return process.TotalProcessorTime;
    }

    /// <summary>The 1-minute load average (runnable and waiting tasks), from /proc/loadavg.</summary>
    public static double LoadAverage()
    {
        string text = File.ReadAllText("/proc/loadavg");
        return double.Parse(text.AsSpan(0, text.IndexOf(' ')), CultureInfo.InvariantCulture);
    }
}
