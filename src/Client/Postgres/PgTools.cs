using System.Diagnostics;
using System.Text;

namespace Bunker.Client.Postgres;

/// <summary>
/// PostgreSQL's own programs (pg_basebackup, psql, pg_ctl, pg_controldata), found in --pg-bin, else on PATH, else in
/// Debian's /usr/lib/postgresql/VERSION/bin (highest version first). They run with LC_ALL=C, so that what we read
/// from their messages does not depend on the host's language.
/// </summary>
internal sealed class PgTools(string? binDirectory)
{
    private const string DebianRoot = "/usr/lib/postgresql";

    public string Path(string tool)
    {
        if (!string.IsNullOrEmpty(binDirectory))
        {
            string given = System.IO.Path.Combine(binDirectory, tool);
            return File.Exists(given) ? given : throw new CommandFailedException($"{tool} not found in --pg-bin {binDirectory}");
        }
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = System.IO.Path.Combine(dir, tool);
            if (File.Exists(candidate)) return candidate;
        }
        if (Directory.Exists(DebianRoot))
        {
            var versions = Directory.GetDirectories(DebianRoot);
            Array.Sort(versions, static (a, b) => VersionOf(b).CompareTo(VersionOf(a)));
            foreach (var version in versions)
            {
                string candidate = System.IO.Path.Combine(version, "bin", tool);
                if (File.Exists(candidate)) return candidate;
            }
        }
        throw new CommandFailedException($"{tool} not found on PATH or under {DebianRoot}; install the PostgreSQL client programs or pass --pg-bin DIR");
    }

    /// <summary>A start for <paramref name="tool"/>, run as <paramref name="osUser"/> through runuser when given (we are root).</summary>
    public ProcessStartInfo Start(string tool, IEnumerable<string> args, string? osUser = null)
    {
        var info = new ProcessStartInfo(osUser is null ? Path(tool) : "runuser")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        if (osUser is not null)
        {
            info.ArgumentList.Add("-u");
            info.ArgumentList.Add(osUser);
            info.ArgumentList.Add("--");
            info.ArgumentList.Add(Path(tool));
        }
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.Environment["LC_ALL"] = "C";
        return info;
    }

    /// <summary>Runs a tool to its end; its stdout, or a failure that quotes its stderr.</summary>
    public async Task<string> RunAsync(string tool, IEnumerable<string> args, CancellationToken cancellationToken, string? osUser = null)
    {
        var (code, stdout, stderr) = await RunToExitAsync(tool, args, cancellationToken, osUser).ConfigureAwait(false);
        if (code != 0)
            throw new CommandFailedException($"{tool} failed (exit {code}): {LastLines(stderr, 5)}");
        return stdout;
    }

    public async Task<(int Code, string Stdout, string Stderr)> RunToExitAsync(string tool, IEnumerable<string> args, CancellationToken cancellationToken, string? osUser = null)
    {
        using var process = Process.Start(Start(tool, args, osUser)) ?? throw new CommandFailedException($"could not start {tool}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    /// <summary>Runs one SQL query with psql against <paramref name="connection"/>; rows as lines, fields separated by '|'.</summary>
    public async Task<string[]> QueryAsync(string connection, string sql, CancellationToken cancellationToken)
    {
        string output = await RunAsync("psql", ["-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-d", connection, "-c", sql], cancellationToken).ConfigureAwait(false);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    public static string LastLines(string text, int count)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var tail = new StringBuilder();
        for (int i = Math.Max(0, lines.Length - count); i < lines.Length; i++)
        {
            if (tail.Length > 0) tail.Append(" / ");
            tail.Append(lines[i]);
        }
        return tail.Length == 0 ? "(no message)" : tail.ToString();
    }

    private static int VersionOf(string directory) =>
        int.TryParse(System.IO.Path.GetFileName(directory), out int version) ? version : -1;
}
