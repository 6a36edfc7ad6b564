using System.Diagnostics;

namespace Bunker.Bench.Peers;

/// <summary>
/// One run of a tool: wall time from start to exit, its peak RSS and CPU time (user + system) when
/// /usr/bin/time could measure them, and its stdout.
/// </summary>
internal sealed record ToolRun(TimeSpan Elapsed, long? PeakRss, TimeSpan? Cpu, string Output);

/// <summary>
/// Runs another program to completion under /usr/bin/time (for its peak RSS and CPU time), with its output
/// kept in a log file rather than interleaved with the tables. A null value in
/// <paramref name="environment"/> removes that variable, so the caller's shell cannot steer the tool.
/// </summary>
internal sealed class ExternalTool(string program, IReadOnlyDictionary<string, string?> environment, string logPath, string? workingDirectory = null)
{
    private const string TimeProgram = "/usr/bin/time";
    private const int LogTailLines = 20;

    /// <summary>Runs the tool; throws, naming the log, when it exits non-zero.</summary>
    public async Task<ToolRun> RunAsync(params string[] arguments)
    {
        bool measure = File.Exists(TimeProgram);
        string timeFile = Path.Combine(Path.GetTempPath(), $"bunker-bench-{Guid.NewGuid():N}.time");
        var start = new ProcessStartInfo(measure ? TimeProgram : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? "",
        };
        if (measure)
            foreach (var a in new[] { "-f", "%M %U %S", "-o", timeFile, program })
                start.ArgumentList.Add(a);
        foreach (var a in arguments)
            start.ArgumentList.Add(a);
        foreach (var (name, value) in environment)
        {
            if (value is null) start.Environment.Remove(name);
            else start.Environment[name] = value;
        }

        long began = Stopwatch.GetTimestamp();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var elapsed = Stopwatch.GetElapsedTime(began);
        string output = await stdout;
        string errors = await stderr;
        await File.AppendAllTextAsync(logPath, $"$ {program} {string.Join(' ', arguments)}\n{output}{errors}\n");
        if (process.ExitCode != 0)
        {
            File.Delete(timeFile);
            // The tail of stderr usually names the cause; the whole exchange is in the log.
            string tail = string.Join('\n', errors.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(LogTailLines));
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}; see {logPath}\n{tail}");
        }
        if (!measure)
            return new ToolRun(elapsed, null, null, output);
        var (peakRss, cpu) = ReadTimeFile(timeFile);
        return new ToolRun(elapsed, peakRss, cpu, output);
    }

    // GNU time's "%M %U %S": maximum resident set size in KiB, then user and system CPU seconds.
    private static (long PeakRss, TimeSpan Cpu) ReadTimeFile(string path)
    {
        try
        {
            var fields = File.ReadAllLines(path).Last(l => l.Length > 0).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var invariant = System.Globalization.CultureInfo.InvariantCulture;
            return (long.Parse(fields[0], invariant) * 1024,
                TimeSpan.FromSeconds(double.Parse(fields[1], invariant) + double.Parse(fields[2], invariant)));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
