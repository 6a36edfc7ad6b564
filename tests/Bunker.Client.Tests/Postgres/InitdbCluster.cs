using System.Text.RegularExpressions;
using Bunker.Tests.Shared;

namespace Bunker.Client.Tests.Postgres;

/// <summary>
/// A PostgreSQL 15 data directory made by a real initdb (never started): its first WAL segment and pg_control are
/// what the WAL readers are tested against. initdb refuses root, so it runs as the postgres user in a directory of its own.
/// </summary>
public sealed partial class InitdbCluster : IDisposable
{
    public const string BinDirectory = "/usr/lib/postgresql/15/bin";

    private InitdbCluster(string directory, int segmentSize)
    {
        Directory = directory;
        SegmentSize = segmentSize;
    }

    public string Directory { get; }

    public int SegmentSize { get; }

    /// <summary>The segment initdb leaves in pg_wal: timeline 1, segment 1.</summary>
    public string FirstSegmentPath => Path.Combine(Directory, "pg_wal", "000000010000000000000001");

    public string PgControlPath => Path.Combine(Directory, "global", "pg_control");

    public static async Task<InitdbCluster> CreateAsync(int segmentSizeMib)
    {
        string directory = Path.Combine("/var/tmp", "bunker-wal-test-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        var cluster = new InitdbCluster(directory, segmentSizeMib << 20);
        try
        {
            await MustRunAsync("chown", ["postgres:postgres", directory]);
            await MustRunAsync("runuser", ["-u", "postgres", "--", Path.Combine(BinDirectory, "initdb"), "-D", directory, "-A", "trust", "-U", "postgres",
                "--no-sync", $"--wal-segsize={segmentSizeMib}"]);
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    /// <summary>The fields of `pg_controldata` output, e.g. "Database system identifier".</summary>
    public async Task<Dictionary<string, string>> ControlDataAsync()
    {
        string output = await MustRunAsync("runuser", ["-u", "postgres", "--", Path.Combine(BinDirectory, "pg_controldata"), Directory]);
        var fields = new Dictionary<string, string>();
        foreach (Match match in ControlDataLine().Matches(output)) fields[match.Groups[1].Value] = match.Groups[2].Value.Trim();
        return fields;
    }

    public void Dispose()
    {
        if (System.IO.Directory.Exists(Directory)) System.IO.Directory.Delete(Directory, recursive: true);
    }

    private static async Task<string> MustRunAsync(string file, string[] args)
    {
        var run = await ExternalTools.RunSeparatelyAsync(file, args, "/", TimeSpan.FromMinutes(2), new Dictionary<string, string?> { ["LC_ALL"] = "C" });
        Assert.True(run.Code == 0, $"{file} {string.Join(' ', args)} failed: {run}");
        return run.Stdout;
    }

    [GeneratedRegex(@"^([^:\n]+):(.*)$", RegexOptions.Multiline)]
    private static partial Regex ControlDataLine();
}
