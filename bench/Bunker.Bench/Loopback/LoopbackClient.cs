using Bunker.Tests.Shared;
using System.Diagnostics;
using Bunker.Chunking;
using Bunker.Client.Backup;
using Bunker.Client.Connection;
using Bunker.Client.Restore;
using Bunker.Protocol.V1;

namespace Bunker.Bench.Loopback;

/// <summary>One upload: wall time from opening the Backup call to the commit's answer.</summary>
internal sealed record UploadRun(TimeSpan Elapsed, BackupUploadStatistics Statistics, SnapshotInfo Snapshot);

/// <summary>One restore: wall time from the first ReadArchiveIndex page to the last verified chunk.</summary>
internal sealed record RestoreRun(TimeSpan Elapsed, ChunkFetchStatistics Statistics);

/// <summary>
/// The client side of the loopback benchmark, through the same pieces `bunker` uses: BunkerConnection,
/// BackupUploader and ChunkFetcher. A tenant with a backup+restore token is created on connect.
/// </summary>
internal sealed class LoopbackClient : IDisposable
{
    public const string Archive = "data";
    private const string Tenant = "bench";

    private readonly BunkerConnection _admin;
    private readonly BunkerConnection _connection;

    private LoopbackClient(BunkerConnection admin, BunkerConnection connection)
    {
        _admin = admin;
        _connection = connection;
    }

    public static async Task<LoopbackClient> ConnectAsync(DaemonProcess server)
    {
        var admin = BunkerConnection.Open(new ConnectionSettings(server.Address, server.AdminToken, null, null));
        try
        {
            await admin.Admin.CreateTenantAsync(new CreateTenantRequest { Name = Tenant }, admin.Call(CancellationToken.None));
            var request = new CreateTokenRequest { Tenant = Tenant, Description = "loopback benchmark" };
            request.Roles.Add(Role.Backup);
            request.Roles.Add(Role.Restore);
            string token = (await admin.Admin.CreateTokenAsync(request, admin.Call(CancellationToken.None))).Token;
            return new LoopbackClient(admin, BunkerConnection.Open(new ConnectionSettings(server.Address, token, null, null)));
        }
        catch
        {
            admin.Dispose();
            throw;
        }
    }

    public async Task CreateRepositoryAsync(string name) =>
        await _admin.Admin.CreateRepositoryAsync(new CreateRepositoryRequest { Tenant = Tenant, Name = name }, _admin.Call(CancellationToken.None));

    /// <summary>Cuts <paramref name="source"/> with FastCDC (default sizes) and uploads it as one archive.</summary>
    public async Task<UploadRun> UploadAsync(string repository, Stream source)
    {
        var start = new BackupStart { Repository = repository, SourceKind = "files", Host = "bench", SourceId = "loopback" };
        long began = Stopwatch.GetTimestamp();
        await using var uploader = await BackupUploader.StartAsync(_connection.Repository, start, LongCall());
        using (var chunker = new StreamChunker(source, new FastCdcChunker()))
        {
            while (await chunker.MoveNextAsync())
                await uploader.AddChunkAsync(Archive, chunker.Current);
        }
        var snapshot = await uploader.CommitAsync();
        return new UploadRun(Stopwatch.GetElapsedTime(began), uploader.Statistics, snapshot);
    }

    /// <summary>Reads the archive's index, then every distinct chunk over <paramref name="streams"/> streams; the bytes are verified, then dropped.</summary>
    public async Task<RestoreRun> RestoreAsync(string repository, SnapshotInfo snapshot, int streams)
    {
        long began = Stopwatch.GetTimestamp();
        var options = LongCall();
        var digests = new List<ChunkDigest>();
        var seen = new HashSet<ChunkDigest>();
        long distinctBytes = 0;
        await foreach (var entry in ArchiveIndexReader.ReadAsync(_connection.Repository, repository, snapshot.Id, Archive, options))
        {
            if (!seen.Add(entry.Digest)) continue;
            digests.Add(entry.Digest);
            distinctBytes += entry.Length;
        }
        var fetcher = new ChunkFetcher(_connection.OpenChannel, options);
        var statistics = await fetcher.FetchAsync(repository, digests, streams, static (in ChunkDigest _, ReadOnlySpan<byte> _) => { });
        var elapsed = Stopwatch.GetElapsedTime(began);
        if (statistics.RawBytes != distinctBytes)
            throw new InvalidOperationException($"restored {statistics.RawBytes} bytes; the archive's distinct chunks hold {distinctBytes}");
        return new RestoreRun(elapsed, statistics);
    }

    public void Dispose()
    {
        _connection.Dispose();
        _admin.Dispose();
    }

    private Protocol.Grpc.CallOptions LongCall() => _connection.Call(CancellationToken.None, Timeout.InfiniteTimeSpan);
}
