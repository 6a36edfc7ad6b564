using System.Diagnostics;
using System.Globalization;

namespace Bunker.Bench.Measurement;

/// <summary>What directories occupy on disk, as `du` counts it (allocated blocks, each hardlinked file once).</summary>
internal static class DiskUsage
{
    public static async Task<long> AllocatedAsync(string directory) => (await AllocatedAsync([directory]))[0];

    /// <summary>du of each path, in the order given (one du process, so a hardlink shared between them counts once, at its first path).</summary>
    public static async Task<long[]> AllocatedAsync(IReadOnlyList<string> paths)
    {
        var start = new ProcessStartInfo("du") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-s", "--block-size=1", "--" }.Concat(paths))
            start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start du");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var lines = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (process.ExitCode != 0 || lines.Length != paths.Count)
            throw new InvalidOperationException($"du {string.Join(' ', paths)} exited with {process.ExitCode}: {await stderr}");
        // One "12345\t/path" line per path.
        var sizes = new long[paths.Count];
        for (int i = 0; i < sizes.Length; i++)
            sizes[i] = long.Parse(lines[i].AsSpan(0, lines[i].IndexOf('\t')), CultureInfo.InvariantCulture);
        return sizes;
    }

    /// <summary>du of each top-level directory below <paramref name="root"/>, and of its top-level files together as "(files)".</summary>
    public static async Task<SortedDictionary<string, long>> PartsAsync(string root)
    {
        var entries = Directory.EnumerateFileSystemEntries(root).Order(StringComparer.Ordinal).ToArray();
        var parts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        if (entries.Length == 0)
            return parts;
        var sizes = await AllocatedAsync(entries);
        for (int i = 0; i < entries.Length; i++)
        {
            string name = Directory.Exists(entries[i]) ? Path.GetFileName(entries[i]) : "(files)";
            parts[name] = parts.GetValueOrDefault(name) + sizes[i];
        }
        return parts;
    }
}
