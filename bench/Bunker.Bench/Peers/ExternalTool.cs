using System.Diagnostics;

namespace Bunker.Bench.Peers;

/// <summary>One run of a tool: wall time from start to exit, its peak RSS when /usr/bin/time could measure it, and its stdout.</summary>
internal sealed record ToolRun(TimeSpan Elapsed, long? PeakRss, string Output);

/// <summary>
/// Runs another program to completion under /usr/bin/time (for its peak RSS), with its output
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
        bool measureRss = File.Exists(TimeProgram);
        string rssFile = Path.Combine(Path.GetTempPath(), $"bunker-bench-{Guid.NewGuid():N}.rss");
        var start = new ProcessStartInfo(measureRss ? TimeProgram : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? "",
        };
        if (measureRss)
            foreach (var a in new[] { "-f", "%M", "-o", rssFile, program })
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
            File.Delete(rssFile);
            // The tail of stderr usually names the cause; the whole exchange is in the log.
            string tail = string.Join('\n', errors.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(LogTailLines));
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}; see {logPath}\n{tail}");
        }
        return new ToolRun(elapsed, measureRss ? ReadKilobytes(rssFile) * 1024 : null, output);
    }

    // GNU time's %M is the maximum resident set size in KiB (after a "Command exited with non-zero status" line, if any).
    private static long ReadKilobytes(string path)
    {
        try
        {
            return long.Parse(File.ReadAllLines(path).Last(l => l.Length > 0).Trim());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
