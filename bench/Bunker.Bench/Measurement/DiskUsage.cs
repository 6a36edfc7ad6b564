using System.Diagnostics;
using System.Globalization;

namespace Bunker.Bench.Measurement;

/// <summary>What a directory occupies on disk, as `du` counts it (allocated blocks, each hardlinked file once).</summary>
internal static class DiskUsage
{
    public static async Task<long> AllocatedAsync(string directory)
    {
        var start = new ProcessStartInfo("du") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-s", "--block-size=1", directory })
            start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start du");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        string output = await stdout;
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"du {directory} exited with {process.ExitCode}: {await stderr}");
        // "12345\t/path"
        return long.Parse(output.AsSpan(0, output.IndexOf('\t')), CultureInfo.InvariantCulture);
    }
}
