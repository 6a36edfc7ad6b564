using Bunker.Client.Backup;
using Bunker.Client.Postgres.Wal;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;

namespace Bunker.Client.Postgres;

/// <summary>
/// <c>bunker pg wal-push</c>, PostgreSQL's archive_command: stores one WAL file as a create-once snapshot and returns
/// only when bunkerd has made it durable. The same content pushed again (a retry after a crash, or two pushes at
/// once) succeeds without a second copy; different content under an archived name is refused, because accepting it
/// would silently fork the history that a restore replays.
/// </summary>
internal static class WalPush
{
    /// <summary>Segment sizes run from 1 MiB up; parsing names with the smallest accepts every valid name of any cluster.</summary>
    internal const int NameCheckSegmentSize = 1 << 20;

    public static async Task<SnapshotInfo> RunAsync(Repository.RepositoryClient client, string repository, string path, string host,
        string? dataDirectory, CallOptions options, CancellationToken cancellationToken)
    {
        string name = Path.GetFileName(path);
        if (!WalFileName.TryParse(name, NameCheckSegmentSize, out var file, out string reason))
            throw new UsageException($"{path}: not a WAL file name PostgreSQL archives ({reason})");
        await using var input = OpenFile(path);
        ulong systemId = await CheckContentAsync(input, file, path, dataDirectory, cancellationToken).ConfigureAwait(false);

        var start = new BackupStart
        {
            Repository = repository,
            SourceKind = PgSnapshots.WalKind,
            Host = host,
            SourceId = PgSnapshots.WalSourceId(systemId, name),
            CreateOnce = true,
        };
        start.Labels[PgSnapshots.WalFile] = name;
        start.Labels[PgSnapshots.WalModified] = PgSnapshots.Time(File.GetLastWriteTimeUtc(path));
        start.Labels[PgSnapshots.SystemIdentifier] = systemId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await using var uploader = await BackupUploader.StartAsync(client, start, options).ConfigureAwait(false);
        try
        {
            await uploader.AddArchiveAsync(PgSnapshots.WalArchive).ConfigureAwait(false);
            await using (var archive = ChunkingArchiveStream.For(uploader, PgSnapshots.WalArchive))
            {
                await input.CopyToAsync(archive, 1 << 20, cancellationToken).ConfigureAwait(false);
                await archive.CompleteAsync(cancellationToken).ConfigureAwait(false);
            }
            return await uploader.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.AlreadyExists)
        {
            throw new CommandFailedException($"{name} is already archived for cluster {systemId} on host {host} with different content; " +
                "refusing to replace it (is a second cluster with the same system identifier archiving under this host name?)");
        }
    }

    private static FileStream OpenFile(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CommandFailedException($"{path}: {e.Message}");
        }
    }

    /// <summary>
    /// The cluster the file belongs to. A segment names it in its first page, and that must agree with the data
    /// directory's pg_control when there is one; a history or backup file carries no id, so pg_control must say.
    /// Also checks that a segment is whole and its first page is the one its name promises.
    /// </summary>
    private static async Task<ulong> CheckContentAsync(FileStream input, WalFileName file, string path, string? dataDirectory, CancellationToken cancellationToken)
    {
        ulong? control = PgCluster.TryReadSystemIdentifier(dataDirectory);
        if (file.Kind is not (WalFileKind.Segment or WalFileKind.Partial))
            return control ?? throw new UsageException($"{path}: a {file.Kind} file does not say which cluster it belongs to; " +
                "run wal-push from the data directory (as archive_command does) or pass --pgdata");

        var page = new byte[64];
        int read = await input.ReadAtLeastAsync(page, page.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        input.Position = 0;
        if (!WalSegmentHeader.TryRead(page.AsSpan(0, read), out var header, out string reason))
            throw new CommandFailedException($"{path}: not a WAL segment ({reason})");
        if (control is { } id && id != header.SystemIdentifier)
            throw new CommandFailedException($"{path} belongs to cluster {header.SystemIdentifier}, but the data directory is cluster {id}");
        var named = WalFileName.Parse(file.Name[..24], header.SegmentSize);
        if (header.PageAddress != named.StartLsn(header.SegmentSize).Value || header.Timeline != named.Timeline)
            throw new CommandFailedException($"{path}: its first page is for {new Lsn(header.PageAddress)} on timeline {header.Timeline}, not what its name says");
        if (input.Length != header.SegmentSize)
            throw new CommandFailedException($"{path} is {input.Length} bytes; a segment of this cluster is {header.SegmentSize}");
        return header.SystemIdentifier;
    }
}
