using System.Diagnostics;

namespace Bunker.Storage.Tests.Repository;

/// <summary>Bunker.CrashChild as a child process: run to a line it prints, or until it stops at a fault point and is killed with SIGKILL.</summary>
internal static class CrashChild
{
    public static Process Start(IReadOnlyList<string> args, IReadOnlyDictionary<string, string>? env = null)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        var dll = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "Bunker.CrashChild", "bin", configuration, "net10.0", "Bunker.CrashChild.dll"));
        Assert.True(File.Exists(dll), $"crash child not built at {dll}");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        foreach (var (key, value) in env ?? new Dictionary<string, string>()) start.Environment[key] = value;
        return Process.Start(start)!;
    }

    /// <summary>
    /// Runs the child until it prints a line starting with <paramref name="done"/> (then waits for it to exit 0 and
    /// returns that line), or prints "AT <paramref name="killAt"/>" (then kills it and returns that line).
    /// </summary>
    public static async Task<string> RunAsync(IReadOnlyList<string> args, string? done, string? killAt, IReadOnlyDictionary<string, string>? env = null)
    {
        using var child = Start(args, env);
        var stderr = child.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (await child.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (done is not null && line.StartsWith(done, StringComparison.Ordinal))
            {
                await child.WaitForExitAsync(timeout.Token);
                Assert.Equal(0, child.ExitCode);
                return line;
            }
            if (killAt is not null && line == $"AT {killAt}")
            {
                child.Kill(); // SIGKILL: no finalizers, no flushes, exactly like a power cut for the process
                await child.WaitForExitAsync(timeout.Token);
                return line;
            }
        }
        await child.WaitForExitAsync(timeout.Token);
        throw new Xunit.Sdk.XunitException($"the child exited ({child.ExitCode}) without reaching {killAt ?? done}: {await stderr}");
    }
}
