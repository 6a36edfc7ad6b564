using Bunker.Client.Postgres.Wal;
using Bunker.Client.Restore;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;

namespace Bunker.Client.Postgres;

/// <summary>
/// <c>bunker pg wal-fetch</c>, PostgreSQL's restore_command: writes one archived WAL file to the path PostgreSQL
/// gives. A file that is not archived is the normal end of recovery, so it is reported only by the return value.
/// </summary>
internal static class WalFetch
{
    private static readonly TimeSpan LongestPause = TimeSpan.FromSeconds(8);

    /// <summary>
    /// Fetches <paramref name="name"/>. A repository that is briefly unreachable (bunkerd restarting, a network blip)
    /// is asked again for up to <paramref name="retryFor"/>, so a long recovery does not stop for a hiccup.
    /// </summary>
    /// <returns>False when the file is not in the archive.</returns>
    public static async Task<bool> RunAsync(Repository.RepositoryClient client, string repository, string name, string destination, string host,
        ulong systemId, TimeSpan retryFor, CallOptions options, CancellationToken cancellationToken)
    {
        if (!WalFileName.TryParse(name, WalPush.NameCheckSegmentSize, out var file, out string reason))
            throw new UsageException($"'{name}' is not a WAL file name ({reason})");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var pause = TimeSpan.FromMilliseconds(500);
        while (true)
        {
            try
            {
                return await FetchAsync(client, repository, name, file, destination, host, systemId, options, cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted
                && clock.Elapsed + pause <= retryFor)
            {
                await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
                pause = pause * 2 > LongestPause ? LongestPause : pause * 2;
            }
        }
    }

    private static async Task<bool> FetchAsync(Repository.RepositoryClient client, string repository, string name, WalFileName file, string destination, string host,
        ulong systemId, CallOptions options, CancellationToken cancellationToken)
    {
        SnapshotInfo snapshot;
        try
        {
            snapshot = await client.GetSnapshotAsync(new GetSnapshotRequest
            {
                Repository = repository,
                Snapshot = "latest",
                Host = host,
                SourceKind = PgSnapshots.WalKind,
                SourceId = PgSnapshots.WalSourceId(systemId, name),
            }, options).ResponseAsync.ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return false;
        }

        // Written beside the destination and renamed into place, so PostgreSQL never sees half a segment.
        string partial = destination + ".bunker-partial";
        try
        {
            await using (var reader = ArchiveReader.Open(client, repository, snapshot.Id, PgSnapshots.WalArchive, options))
            await using (var output = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                await reader.CopyToAsync(output, 1 << 20, cancellationToken).ConfigureAwait(false);
                await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                output.Flush(flushToDisk: true);
            }
            if (file.Kind is WalFileKind.Segment or WalFileKind.Partial)
                CheckSegment(partial, name, systemId);
            File.Move(partial, destination, overwrite: true);
            return true;
        }
        catch
        {
            File.Delete(partial);
            throw;
        }
    }

    /// <summary>The digests prove the bytes are the ones pushed; this proves they were pushed for this cluster and name.</summary>
    private static void CheckSegment(string path, string name, ulong systemId)
    {
        var page = new byte[64];
        using (var input = File.OpenRead(path))
            input.ReadAtLeast(page, page.Length, throwOnEndOfStream: false);
        if (!WalSegmentHeader.TryRead(page, out var header, out string reason))
            throw new CommandFailedException($"the archived {name} is not a WAL segment ({reason})");
        if (header.SystemIdentifier != systemId)
            throw new CommandFailedException($"the archived {name} belongs to cluster {header.SystemIdentifier}, not {systemId}");
    }
}
