using System.Diagnostics;

namespace Bunker.Bench.Peers;

/// <summary>
/// Runs another backup tool to completion under /usr/bin/time (for its peak RSS), with its output
/// kept in a log file rather than interleaved with the tables.
/// </summary>
internal sealed class ExternalTool(string program, IReadOnlyDictionary<string, string> environment, string logPath)
{
    private const string TimeProgram = "/usr/bin/time";

    /// <summary>Runs the tool; returns its peak RSS in bytes when /usr/bin/time is there to measure it. Callers time it themselves.</summary>
    public async Task<long?> RunAsync(params string[] arguments)
    {
        string rssFile = logPath + ".rss";
        bool measureRss = File.Exists(TimeProgram);
        var start = new ProcessStartInfo(measureRss ? TimeProgram : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (measureRss)
            foreach (var a in new[] { "-f", "%M", "-o", rssFile, program })
                start.ArgumentList.Add(a);
        foreach (var a in arguments)
            start.ArgumentList.Add(a);
        foreach (var (name, value) in environment)
            start.Environment[name] = value;

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        await File.AppendAllTextAsync(logPath, $"$ {program} {string.Join(' ', arguments)}\n{await stdout}{await stderr}\n");
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}; see {logPath}");
        return measureRss ? ReadKilobytes(rssFile) * 1024 : null;
    }

    // GNU time's %M is the maximum resident set size in KiB.
    private static long ReadKilobytes(string path) => long.Parse(File.ReadAllLines(path).Last(l => l.Length > 0).Trim());
}
