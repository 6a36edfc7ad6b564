using System.Buffers;
using System.Buffers.Binary;
using System.Reflection;
using Bunker.Chunking;
using Bunker.Index;
using Bunker.Protocol;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;
using Bunker.Server.Hosting;
using Bunker.Server.Sessions;
using Bunker.Server.Tenancy;
using Bunker.Storage;
using Bunker.Storage.Packs;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using StorageRepository = Bunker.Storage.Repository;

namespace Bunker.Server.Services;

/// <summary>bunker.v1.Repository: what a host's client calls to back up and restore.</summary>
public sealed class RepositoryService : Bunker.Protocol.V1.Repository.RepositoryBase
{
    public const uint ProtocolVersion = 1;
    /// <summary>Most digests one ReadChunks or LocateChunks call may ask for.</summary>
    public const int MaxReadDigests = 65_536;
    private const int IndexPageEntries = 65_536;

    private static readonly string ServerVersion =
        typeof(RepositoryService).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";

    private readonly RepositoryHost _host;
    private readonly SessionRegistry _sessions;
    private readonly BunkerdOptions _options;
    private readonly ILogger _logger;
    private readonly Lifecycle.RepositoryMaintenance _maintenance;

    public RepositoryService(RepositoryHost host, SessionRegistry sessions, BunkerdOptions options, Lifecycle.RepositoryMaintenance maintenance, ILogger<RepositoryService> logger)
    {
        _host = host;
        _maintenance = maintenance;
        _sessions = sessions;
        _options = options;
        _logger = logger;
    }

    private Registry Registry => _host.Registry;

    public override Task<HelloResponse> Hello(HelloRequest request, ServerCallContext context) => ServiceErrors.Guard(() =>
    {
        var principal = CallAuth.Caller(context);
        var response = new HelloResponse
        {
            ServerVersion = ServerVersion,
            ProtocolVersion = ProtocolVersion,
            Tenant = principal.Tenant,
            RepositoryScope = principal.RepositoryScope ?? "",
            MaxMessageSize = (uint)_options.MaxMessageSize,
            MaxChunkSize = PackFormat.MaxChunkSize,
            TokenExpiresUnix = principal.Expires?.ToUnixTimeSeconds() ?? 0,
        };
        response.Roles.AddRange(principal.Roles);
        foreach (var repository in Registry.ListRepositories(principal.Tenant))
        {
            if (principal.MayUse(repository.Name)) response.Repositories.Add(repository.Name);
        }
        if (request.Repository.Length > 0)
            response.RepositoryId = CallAuth.Repository(Registry, principal, request.Repository).Id;
        return Task.FromResult(response);
    });

    public override Task Backup(IAsyncStreamReader<BackupRequest> requestStream, IServerStreamWriter<BackupResponse> responseStream, ServerCallContext context) => ServiceErrors.Guard(async () =>
    {
        var principal = CallAuth.Require(context, "a backup", Role.Backup);
        if (!await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false))
            throw ServiceErrors.Error(StatusCode.InvalidArgument, "the request stream ended before 'start'");
        if (requestStream.Current.KindCase != BackupRequest.KindOneofCase.Start)
            throw ServiceErrors.Error(StatusCode.InvalidArgument, "a backup session must begin with 'start'");
        var start = requestStream.Current.Start;
        var record = CallAuth.Repository(Registry, principal, start.Repository);
        var repository = await _host.GetAsync(record).ConfigureAwait(false);
        var draft = Draft(repository, start);

        string description = $"{record.Tenant}/{record.Name} {start.Host} {start.SourceKind}:{start.SourceId}";
        var session = _sessions.TryOpen(repository.Id, description, _options.MaxSessionDigests, context.CancellationToken)
            ?? throw ServiceErrors.Error(StatusCode.ResourceExhausted, $"the server is at its limit of {_options.MaxSessions} concurrent backup sessions, or shutting down; retry later");
        try
        {
            await responseStream.WriteAsync(new BackupResponse
            {
                Started = new BackupStarted
                {
                    SessionId = session.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    RepositoryId = record.Id,
                    MaxOfferDigests = BackupSessionHandler.MaxOfferDigests,
                    MaxAppendEntries = BackupSessionHandler.MaxAppendEntries,
                },
            }, session.Cancelled).ConfigureAwait(false);
            await new BackupSessionHandler(repository, session, draft, _maintenance, _logger).RunAsync(requestStream, responseStream).ConfigureAwait(false);
        }
        finally
        {
            _sessions.Close(session);
        }
    });

    private static SnapshotDraft Draft(StorageRepository repository, BackupStart start)
    {
        if (string.IsNullOrWhiteSpace(start.SourceKind) || string.IsNullOrWhiteSpace(start.Host))
            throw ServiceErrors.Error(StatusCode.InvalidArgument, "start: source_kind and host are required");
        CheckText(start.SourceKind, "source_kind", 64);
        CheckText(start.Host, "host", 255);
        CheckText(start.SourceId, "source_id", 4096);
        if (start.Paths.Count > 10_000 || start.Tags.Count > 1000 || start.Labels.Count > 1000)
            throw ServiceErrors.Error(StatusCode.InvalidArgument, "start: too many paths, tags or labels");
        foreach (var tag in start.Tags) CheckText(tag, "tag", 255);
        SnapshotId? parent = null;
        if (start.ParentId.Length > 0)
        {
            var id = SnapshotInfos.ParseId(start.ParentId);
            if (!repository.Index.Snapshots.TryGet(repository.Id, id, out _))
                throw ServiceErrors.Error(StatusCode.NotFound, "start: the parent snapshot was not found");
            parent = id;
        }
        return new SnapshotDraft(start.SourceKind, start.Host, start.SourceId)
        {
            Paths = [.. start.Paths],
            Tags = [.. start.Tags],
            Labels = SnapshotLabels.Merge(new Dictionary<string, string>(), start.Labels, "start"),
            Time = start.TimeUnixNanos == 0 ? null : DateTimeOffset.UnixEpoch.AddTicks(start.TimeUnixNanos / 100),
            Parent = parent,
            CreateOnce = start.CreateOnce,
        };
    }

    private static void CheckText(string value, string field, int max)
    {
        if (value.Length > max || value.Contains('\0'))
            throw ServiceErrors.Error(StatusCode.InvalidArgument, $"start: {field} must be at most {max} characters without NUL");
    }

    public override Task ListSnapshots(ListSnapshotsRequest request, IServerStreamWriter<SnapshotInfo> responseStream, ServerCallContext context) => ServiceErrors.Guard(async () =>
    {
        var repository = await ReadableAsync(context, request.Repository, "listing snapshots").ConfigureAwait(false);
        foreach (var record in repository.CandidateSnapshots(request.Host, request.SourceKind, request.SourceId))
        {
            var info = SnapshotInfos.From(record);
            if (SnapshotInfos.Matches(info, request.Host, request.SourceKind, request.SourceId, request.Tags))
                await responseStream.WriteAsync(info, context.CancellationToken).ConfigureAwait(false);
        }
    });

    public override Task<SnapshotInfo> GetSnapshot(GetSnapshotRequest request, ServerCallContext context) => ServiceErrors.Guard(async () =>
    {
        var repository = await ReadableAsync(context, request.Repository, "reading a snapshot").ConfigureAwait(false);
        return SnapshotInfos.Resolve(repository, request);
    });

    public override Task ReadArchiveIndex(ReadArchiveIndexRequest request, IServerStreamWriter<ArchiveIndexPage> responseStream, ServerCallContext context) => ServiceErrors.Guard(async () =>
    {
        var repository = await ReadableAsync(context, request.Repository, "reading an archive").ConfigureAwait(false);
        var manifest = await repository.LoadManifestAsync(SnapshotInfos.ParseId(request.SnapshotId), context.CancellationToken).ConfigureAwait(false);
        ArchiveRef? archive = null;
        foreach (var candidate in manifest.Archives)
        {
            if (candidate.Name == request.Archive) archive = candidate;
        }
        if (archive is null)
            throw ServiceErrors.Error(StatusCode.NotFound, "the snapshot has no such archive");

        var page = new byte[IndexPageEntries * ChunkEntryLayout.Size];
        int inPage = 0;
        ulong firstEntry = 0, firstOffset = 0, entryNumber = 0;
        await foreach (var entry in repository.ReadArchiveAsync(archive, context.CancellationToken).ConfigureAwait(false))
        {
            if (inPage == 0) { firstEntry = entryNumber; firstOffset = entry.Offset; }
            ChunkEntryLayout.Write(page.AsSpan(inPage * ChunkEntryLayout.Size), entry.Digest, entry.Length);
            inPage++;
            entryNumber++;
            if (inPage == IndexPageEntries)
            {
                await WritePageAsync().ConfigureAwait(false);
                inPage = 0;
            }
        }
        if (inPage > 0 || entryNumber == 0)
            await WritePageAsync().ConfigureAwait(false);

        // The page is reused once the write returns: it serialises the message before it does.
        Task WritePageAsync() => responseStream.WriteAsync(new ArchiveIndexPage
        {
            FirstEntry = firstEntry,
            FirstOffset = firstOffset,
            Entries = UnsafeByteOperations.UnsafeWrap(page.AsMemory(0, inPage * ChunkEntryLayout.Size)),
        }, context.CancellationToken);
    });

    public override Task ReadChunks(ReadChunksRequest request, IServerStreamWriter<ChunkData> responseStream, ServerCallContext context) => ServiceErrors.Guard(async () =>
    {
        var repository = await ReadableAsync(context, request.Repository, "reading chunks").ConfigureAwait(false);
        var digests = ParseReadDigests(request.Digests, "read");
        var cancellationToken = context.CancellationToken;
        await repository.ReadStoredChunksAsync(digests, async chunk =>
        {
            // The bytes are only valid during this callback; the write serialises them before it returns.
            await responseStream.WriteAsync(new ChunkData
            {
                Digest = UnsafeByteOperations.UnsafeWrap(chunk.Digest.ToArray()),
                Encoding = ChunkEncodings.ToWire(chunk.Codec),
                RawLength = (uint)chunk.RawLength,
                Data = UnsafeByteOperations.UnsafeWrap(chunk.Encoded),
            }, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    });

    public override Task<LocateChunksResponse> LocateChunks(LocateChunksRequest request, ServerCallContext context) => ServiceErrors.Guard(async () =>
    {
        var repository = await ReadableAsync(context, request.Repository, "locating chunks").ConfigureAwait(false);
        var digests = ParseReadDigests(request.Digests, "locate");
        var keys = ArrayPool<ulong>.Shared.Rent(Math.Max(1, digests.Count));
        try
        {
            await repository.LocalityKeysAsync(digests, keys, context.CancellationToken).ConfigureAwait(false);
            var packed = new byte[digests.Count * sizeof(ulong)];
            for (int i = 0; i < digests.Count; i++)
                BinaryPrimitives.WriteUInt64LittleEndian(packed.AsSpan(i * sizeof(ulong)), keys[i]);
            return new LocateChunksResponse { Keys = UnsafeByteOperations.UnsafeWrap(packed) };
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(keys);
        }
    });

    public override Task<DeleteSnapshotResponse> DeleteSnapshot(DeleteSnapshotRequest request, ServerCallContext context) => ServiceErrors.Guard(async () =>
    {
        var principal = CallAuth.Require(context, "deleting a snapshot", Role.Operator);
        var repository = await _host.GetAsync(CallAuth.Repository(Registry, principal, request.Repository)).ConfigureAwait(false);
        var id = SnapshotInfos.ParseId(request.SnapshotId);
        if (!await _maintenance.DeleteSnapshotAsync(repository, id, context.CancellationToken).ConfigureAwait(false))
            throw ServiceErrors.Error(StatusCode.NotFound, "snapshot not found");
        _logger.LogInformation("Snapshot {Snapshot} of {Tenant}/{Repository} deleted by token {Token}", id, principal.Tenant, request.Repository, principal.TokenId);
        return new DeleteSnapshotResponse();
    });

    /// <summary>A read's digest list: at most <see cref="MaxReadDigests"/>, the array sized by the message, never by a claim in it.</summary>
    private static ArraySegment<ChunkDigest> ParseReadDigests(ByteString packed, string what)
    {
        var digests = new ChunkDigest[Math.Min(MaxReadDigests, packed.Length / ChunkDigest.Size + 1)];
        int count = WireLists.ParseDigests(packed, digests, what);
        return new ArraySegment<ChunkDigest>(digests, 0, count);
    }

    /// <summary>Reading needs restore, backup (its own repository, for parents) or operator.</summary>
    private Task<StorageRepository> ReadableAsync(ServerCallContext context, string repository, string action)
    {
        var principal = CallAuth.Require(context, action, Role.Restore, Role.Backup, Role.Operator);
        return _host.GetAsync(CallAuth.Repository(Registry, principal, repository));
    }
}
