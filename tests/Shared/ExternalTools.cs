using System.Diagnostics;

namespace Bunker.Tests.Shared;

/// <summary>Runs external tools (node, npm, the built bunker and bunkerd) for the tests; compiled into each test project that needs it.</summary>
public static class ExternalTools
{
    private static readonly SemaphoreSlim NpmLock = new(1, 1);

    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Repository.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Repository.sln not found above the test binaries.");
    }

    /// <summary>tests/interop with its node_modules installed from the committed lock file.</summary>
    public static async Task<string> InteropDirectoryAsync()
    {
        string dir = Path.Combine(RepositoryRoot(), "tests", "interop");
        await NpmLock.WaitAsync();
        try
        {
            if (!Directory.Exists(Path.Combine(dir, "node_modules", "@grpc", "grpc-js")))
            {
                var (code, output) = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], dir, TimeSpan.FromMinutes(3));
                Assert.True(code == 0, "npm ci failed: " + output);
            }
        }
        finally
        {
            NpmLock.Release();
        }
        return dir;
    }

    /// <summary>tests/s3 with s3rver installed from the committed lock file.</summary>
    public static async Task<string> S3DirectoryAsync()
    {
        string dir = Path.Combine(RepositoryRoot(), "tests", "s3");
        await NpmLock.WaitAsync();
        try
        {
            if (!File.Exists(Path.Combine(dir, "node_modules", "s3rver", "bin", "s3rver.js")))
            {
                var (code, output) = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], dir, TimeSpan.FromMinutes(3));
                Assert.True(code == 0, "npm ci failed: " + output);
            }
        }
        finally
        {
            NpmLock.Release();
        }
        return dir;
    }

    /// <summary>Runs <paramref name="file"/> to its end; its stdout then its stderr as one text.</summary>
    public static async Task<(int Code, string Output)> RunAsync(string file, IEnumerable<string> args, string dir, TimeSpan timeout, IDictionary<string, string?>? env = null)
    {
        var run = await RunSeparatelyAsync(file, args, dir, timeout, env);
        return (run.Code, run.Stdout + run.Stderr);
    }

    /// <summary>Runs <paramref name="file"/> to its end, keeping stdout and stderr apart. A null value in <paramref name="env"/> removes that variable.</summary>
    public static async Task<ToolRun> RunSeparatelyAsync(string file, IEnumerable<string> args, string dir, TimeSpan timeout, IDictionary<string, string?>? env = null)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        if (env is not null)
        {
            foreach (var (key, value) in env)
            {
                if (value is null) info.Environment.Remove(key);
                else info.Environment[key] = value;
            }
        }
        using var process = System.Diagnostics.Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return new ToolRun(process.ExitCode, await stdout, await stderr);
    }
}

/// <summary>How an external process ended and what it wrote.</summary>
public sealed record ToolRun(int Code, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {Code}\n--- stdout ---\n{Stdout}--- stderr ---\n{Stderr}";
}
