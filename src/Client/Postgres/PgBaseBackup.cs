using System.Globalization;
using System.Text.RegularExpressions;
using Bunker.Client.Backup;
using Bunker.Client.Postgres.Wal;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;

namespace Bunker.Client.Postgres;

/// <summary>What <c>bunker pg backup</c> was asked to do.</summary>
internal sealed record PgBackupRequest
{
    public required string Connection { get; init; }
    public string? DataDirectory { get; init; }
    public required string Host { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    /// <summary>fetch: the tar holds the WAL from start to stop, so it restores without the archive. none: it relies on the archive.</summary>
    public string WalMethod { get; init; } = "fetch";
    public bool FastCheckpoint { get; init; }
    public string? MaxRate { get; init; }
}

internal sealed record PgBackupResult(SnapshotInfo Snapshot, BaseBackup Backup, BackupUploadStatistics Upload);

/// <summary>
/// A base backup: pg_basebackup writes a tar to its stdout (-D - -Ft), which is cut with FastCDC and uploaded as it
/// comes, never spooled to disk. Its start and stop positions are read from pg_basebackup's verbose messages
/// (LC_ALL=C), and stored as labels at commit, when they are known.
/// </summary>
internal static partial class PgBaseBackup
{
    public static async Task<PgBackupResult> RunAsync(PgTools tools, Repository.RepositoryClient client, string repository, PgBackupRequest request,
        CallOptions options, Action<long>? progress, CancellationToken cancellationToken)
    {
        var cluster = await PgClusterFacts.ReadAsync(tools, request.Connection, cancellationToken).ConfigureAwait(false);
        if (cluster.Tablespaces.Length > 0)
            throw new CommandFailedException($"the cluster has tablespaces outside the data directory ({cluster.Tablespaces}); " +
                "bunker backs up only clusters whose data all lives in the data directory (pg_default and pg_global)");

        var startTime = DateTimeOffset.UtcNow;
        var start = new BackupStart
        {
            Repository = repository,
            SourceKind = PgSnapshots.BaseBackupKind,
            Host = request.Host,
            SourceId = cluster.SystemIdentifier.ToString(CultureInfo.InvariantCulture),
            TimeUnixNanos = (startTime - DateTimeOffset.UnixEpoch).Ticks * 100,
        };
        if (request.DataDirectory is not null) start.Paths.Add(Path.GetFullPath(request.DataDirectory));
        start.Tags.AddRange(request.Tags);
        start.Labels[PgSnapshots.SystemIdentifier] = start.SourceId;
        start.Labels[PgSnapshots.ServerVersion] = cluster.ServerVersion.ToString(CultureInfo.InvariantCulture);
        start.Labels[PgSnapshots.SegmentSize] = cluster.SegmentSize.ToString(CultureInfo.InvariantCulture);
        start.Labels[PgSnapshots.WalMethod] = request.WalMethod;
        start.Labels[PgSnapshots.StartTime] = PgSnapshots.Time(startTime);

        await using var uploader = await BackupUploader.StartAsync(client, start, options).ConfigureAwait(false);
        string stderr;
        try
        {
            stderr = await StreamTarAsync(tools, request, uploader, progress, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await uploader.AbortAsync("pg_basebackup failed").ConfigureAwait(false);
            throw;
        }
        var (timeline, startLsn, stopLsn) = ParsePositions(stderr);
        var stopTime = DateTimeOffset.UtcNow;
        var labels = new Dictionary<string, string>
        {
            [PgSnapshots.Timeline] = timeline.ToString(CultureInfo.InvariantCulture),
            [PgSnapshots.StartLsn] = startLsn.ToString(),
            [PgSnapshots.StopLsn] = stopLsn.ToString(),
            [PgSnapshots.StopTime] = PgSnapshots.Time(stopTime),
        };
        var snapshot = await uploader.CommitAsync(labels, cancellationToken).ConfigureAwait(false);
        var backup = BaseBackup.From(snapshot) ?? throw new CommandFailedException("the server's answer lacks the labels just committed");
        return new PgBackupResult(snapshot, backup, uploader.Statistics);
    }

    private static async Task<string> StreamTarAsync(PgTools tools, PgBackupRequest request, BackupUploader uploader, Action<long>? progress, CancellationToken cancellationToken)
    {
        var args = new List<string>
        {
            "-d", request.Connection, "-D", "-", "-Ft", "-X", request.WalMethod, "-v",
            "--checkpoint=" + (request.FastCheckpoint ? "fast" : "spread"), "--label", "bunker",
        };
        if (request.MaxRate is not null) args.AddRange(["--max-rate", request.MaxRate]);
        using var process = System.Diagnostics.Process.Start(tools.Start("pg_basebackup", args))
            ?? throw new CommandFailedException("could not start pg_basebackup");
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await using var archive = ChunkingArchiveStream.For(uploader, PgSnapshots.BaseArchive);
            var stdout = process.StandardOutput.BaseStream;
            var buffer = new byte[1 << 20];
            long total = 0;
            int n;
            while ((n = await stdout.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                await archive.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                total += n;
                progress?.Invoke(total);
            }
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            string messages = await stderr.ConfigureAwait(false);
            if (process.ExitCode != 0)
                throw new CommandFailedException($"pg_basebackup failed (exit {process.ExitCode}): {PgTools.LastLines(messages, 4)}");
            if (total == 0)
                throw new CommandFailedException("pg_basebackup wrote nothing");
            await archive.CompleteAsync(cancellationToken).ConfigureAwait(false);
            return messages;
        }
        catch
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            throw;
        }
    }

    /// <summary>The start position and timeline, and the end position, from pg_basebackup -v's messages.</summary>
    internal static (uint Timeline, Lsn Start, Lsn Stop) ParsePositions(string stderr)
    {
        var start = StartPoint().Match(stderr);
        var stop = EndPoint().Match(stderr);
        if (!start.Success || !stop.Success)
            throw new CommandFailedException("pg_basebackup did not report its WAL start and end points: " + PgTools.LastLines(stderr, 4));
        return (uint.Parse(start.Groups[2].Value, CultureInfo.InvariantCulture), Lsn.Parse(start.Groups[1].Value), Lsn.Parse(stop.Groups[1].Value));
    }

    [GeneratedRegex(@"write-ahead log start point: ([0-9A-Fa-f]+/[0-9A-Fa-f]+) on timeline ([0-9]+)")]
    private static partial Regex StartPoint();

    [GeneratedRegex(@"write-ahead log end point: ([0-9A-Fa-f]+/[0-9A-Fa-f]+)")]
    private static partial Regex EndPoint();
}

/// <summary>What a backup needs to know about the cluster before it starts, asked through psql.</summary>
internal sealed record PgClusterFacts(ulong SystemIdentifier, int ServerVersion, int SegmentSize, string Tablespaces)
{
    public static async Task<PgClusterFacts> ReadAsync(PgTools tools, string connection, CancellationToken cancellationToken)
    {
        // Tablespace names may hold '|', so they come last and the split stops before them.
        const string sql = "SELECT system_identifier, current_setting('server_version_num'), " +
            "(SELECT setting FROM pg_settings WHERE name = 'wal_segment_size'), " +
            "coalesce((SELECT string_agg(spcname || ' at ' || pg_tablespace_location(oid), ', ') FROM pg_tablespace " +
            "WHERE spcname NOT IN ('pg_default', 'pg_global')), '') FROM pg_control_system()";
        var rows = await tools.QueryAsync(connection, sql, cancellationToken).ConfigureAwait(false);
        var fields = rows.Length == 1 ? rows[0].Split('|', 4) : [];
        if (fields.Length != 4
            || !ulong.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out ulong system)
            || !int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out int version)
            || !int.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out int segmentSize))
            throw new CommandFailedException("could not read the cluster's system identifier, version and WAL segment size through psql: " + string.Join(" ", rows));
        if (version < 100000)
            throw new CommandFailedException($"PostgreSQL {version} is too old: bunker needs PostgreSQL 10 or later");
        return new PgClusterFacts(system, version, segmentSize, fields[3]);
    }
}
