using Bunker.Chunking;
using Bunker.Protocol;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;
using Bunker.Server.Sessions;
using Bunker.Storage;
using Bunker.Storage.Packs;
using Microsoft.Extensions.Logging;
using StorageRepository = Bunker.Storage.Repository;

namespace Bunker.Server.Services;

/// <summary>
/// One Backup call, from start to commit or abort. Requests are handled strictly in order, so a
/// client can pipeline offers, puts and appends without waiting; HTTP/2 flow control pushes back
/// when the server falls behind. An append may name only digests this session uploaded or was
/// told are present (invariant 3), and those stay pinned in <see cref="SessionRegistry"/> until
/// the call ends. When a session ends without a commit, what it uploaded is flushed and kept.
/// </summary>
internal sealed class BackupSessionHandler
{
    public const int MaxOfferDigests = 65_536;
    public const int MaxAppendEntries = 65_536;
    private const int MaxArchives = 4096;

    private readonly StorageRepository _repository;
    private readonly BackupSessionState _session;
    private readonly SnapshotDraft _draft;
    private readonly ILogger _logger;
    private readonly ChunkDigest[] _digests = new ChunkDigest[Math.Max(MaxOfferDigests, MaxAppendEntries)];
    private readonly bool[] _present = new bool[MaxOfferDigests];
    // Offers and appends share the digest scratch (their limits are equal); lengths are the appends'.
    private readonly uint[] _lengths = new uint[MaxAppendEntries];
    private readonly List<ArchiveWriter> _archives = [];
    private readonly Dictionary<string, ArchiveWriter> _archivesByName = new(StringComparer.Ordinal);

    private readonly Lifecycle.RepositoryMaintenance _maintenance;

    public BackupSessionHandler(StorageRepository repository, BackupSessionState session, SnapshotDraft draft, Lifecycle.RepositoryMaintenance maintenance, ILogger logger)
    {
        _repository = repository;
        _maintenance = maintenance;
        _session = session;
        _draft = draft;
        _logger = logger;
    }

    /// <summary>Runs the session after its start was accepted and answered.</summary>
    public async Task RunAsync(IAsyncStreamReader<BackupRequest> requests, IServerStreamWriter<BackupResponse> responses)
    {
        var cancelled = _session.Cancelled;
        bool committed = false;
        try
        {
            while (await requests.MoveNext(cancelled).ConfigureAwait(false))
            {
                var request = requests.Current;
                switch (request.KindCase)
                {
                    case BackupRequest.KindOneofCase.Offer:
                        await responses.WriteAsync(Offer(request.Offer), cancelled).ConfigureAwait(false);
                        break;
                    case BackupRequest.KindOneofCase.Put:
                        await PutAsync(request.Put, cancelled).ConfigureAwait(false);
                        break;
                    case BackupRequest.KindOneofCase.Append:
                        await AppendAsync(request.Append, cancelled).ConfigureAwait(false);
                        break;
                    case BackupRequest.KindOneofCase.Commit:
                        var draft = request.Commit.Labels.Count == 0 ? _draft : _draft with { Labels = SnapshotLabels.Merge(_draft.Labels, request.Commit.Labels, "commit") };
                        var record = await _repository.CommitSnapshotAsync(draft, _archives, cancelled).ConfigureAwait(false);
                        committed = true;
                        _logger.LogInformation("Session {Session}: committed snapshot {Snapshot} ({Uploaded} chunk(s) uploaded, {Confirmed} confirmed)",
                            _session.Description, record.Id, _session.Uploaded, _session.Confirmed);
                        var info = SnapshotInfos.From(record);
                        // Verify-after-backup: the answer waits for the read-back, so the client knows at once that what it made restores.
                        var clock = System.Diagnostics.Stopwatch.StartNew();
                        if (await _maintenance.VerifyAfterBackupAsync(_repository, record.Id, cancelled).ConfigureAwait(false) is { } verification)
                        {
                            info.Verification = new Protocol.V1.SnapshotVerification
                            {
                                ChunksRead = (ulong)verification.ChunksRead,
                                BytesRead = (ulong)verification.BytesRead,
                                Seconds = clock.Elapsed.TotalSeconds,
                            };
                            info.Verification.Problems.AddRange(verification.Problems);
                        }
                        await responses.WriteAsync(new BackupResponse { Committed = info }, cancelled).ConfigureAwait(false);
                        return;
                    case BackupRequest.KindOneofCase.Abort:
                        await KeepUploadedAsync().ConfigureAwait(false);
                        await responses.WriteAsync(new BackupResponse { Aborted = new BackupAborted { ChunksKept = (ulong)_session.Uploaded } }, cancelled).ConfigureAwait(false);
                        return;
                    case BackupRequest.KindOneofCase.Start:
                        throw ServiceErrors.Error(StatusCode.InvalidArgument, "the session has already started; 'start' may come only first");
                    default:
                        throw ServiceErrors.Error(StatusCode.InvalidArgument, "a backup request must carry one of start, offer, put, append, commit or abort");
                }
            }
            throw ServiceErrors.Error(StatusCode.FailedPrecondition, "the request stream ended without a commit; the chunks uploaded are kept for a retry");
        }
        catch (OperationCanceledException) when (_session.AbortedByServer && !committed)
        {
            throw ServiceErrors.Error(StatusCode.Unavailable, "the server is shutting down; the session was aborted and the chunks uploaded are kept for a retry");
        }
        finally
        {
            if (!committed)
                await KeepUploadedAsync().ConfigureAwait(false);
        }
    }

    private BackupResponse Offer(OfferDigests offer)
    {
        int count = WireLists.ParseDigests(offer.Digests, _digests, "offer");
        var digests = _digests.AsSpan(0, count);
        var present = _present.AsSpan(0, count);
        // What the server confirms, the session may reference, and GC must not sweep meanwhile. The lookup and the
        // record are one step under the session's lock, which a collection takes to copy what the session holds: so a
        // confirmation is either in that copy or made after the collection's barrier went up, and marked by it.
        if (!_session.TryConfirm(digests, present, _repository.Has, out int found))
            throw TooMany();
        _session.Confirmed += found;
        return new BackupResponse
        {
            OfferResult = new OfferResult { RequestId = offer.RequestId, Missing = WireLists.MissingBitmap(present, out int missing), MissingCount = (uint)missing },
        };
    }

    private async Task PutAsync(PutChunks put, CancellationToken cancellationToken)
    {
        foreach (var chunk in put.Chunks)
        {
            if (chunk.Digest.Length != ChunkDigest.Size)
                throw ServiceErrors.Error(StatusCode.InvalidArgument, $"put: a digest must be 32 bytes, got {chunk.Digest.Length}");
            var digest = new ChunkDigest(chunk.Digest.Span);
            if (chunk.RawLength == 0 || chunk.RawLength > PackFormat.MaxChunkSize)
                throw ServiceErrors.Error(StatusCode.InvalidArgument, $"put: chunk {digest.ToShortString()}… has raw length {chunk.RawLength}; it must be 1 to {PackFormat.MaxChunkSize}");
            if (!ChunkEncodings.TryFromWire(chunk.Encoding, out var codec))
                throw ServiceErrors.Error(StatusCode.InvalidArgument, $"put: chunk {digest.ToShortString()}… has unknown encoding {(int)chunk.Encoding}");
            // Recorded before it is stored, so that a collection starting meanwhile pins it (a put that then fails ends
            // the session, so nothing ever references a chunk that was recorded but not stored).
            if (!_session.TryAdd(digest))
                throw TooMany();
            try
            {
                // Decoded and re-hashed before anything is stored (invariant 1).
                await _repository.PutEncodedAsync(digest, chunk.Data.Memory, codec, (int)chunk.RawLength, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidDataException e)
            {
                throw ServiceErrors.Error(StatusCode.InvalidArgument, $"put: chunk {digest.ToShortString()}… does not decode ({e.Message}); nothing was stored");
            }
            _session.Uploaded++;
        }
    }

    private async Task AppendAsync(AppendArchive append, CancellationToken cancellationToken)
    {
        if (!_archivesByName.TryGetValue(append.Archive, out var archive))
        {
            if (_archives.Count >= MaxArchives)
                throw ServiceErrors.Error(StatusCode.InvalidArgument, $"append: a snapshot may have at most {MaxArchives} archives");
            try
            {
                archive = _repository.CreateArchive(append.Archive);
            }
            catch (ArgumentException e)
            {
                throw ServiceErrors.Error(StatusCode.InvalidArgument, $"append: {e.Message}");
            }
            _archivesByName.Add(append.Archive, archive);
            _archives.Add(archive);
        }
        var entries = append.Entries.Span;
        if (entries.Length % ChunkEntryLayout.Size != 0)
            throw ServiceErrors.Error(StatusCode.InvalidArgument, $"append: {entries.Length} bytes is not a whole number of 36-byte entries");
        int count = entries.Length / ChunkEntryLayout.Size;
        if (count > MaxAppendEntries)
            throw ServiceErrors.Error(StatusCode.InvalidArgument, $"append: {count} entries in one message; the most is {MaxAppendEntries}");
        // One pass to parse, one lock for the whole batch's check, then the archive.
        var digests = _digests.AsSpan(0, count);
        for (int i = 0; i < count; i++)
            (digests[i], _lengths[i]) = ChunkEntryLayout.Read(entries, i);
        int unknown = _session.FirstUnknown(digests);
        if (unknown >= 0)
            throw ServiceErrors.Error(StatusCode.FailedPrecondition,
                $"append to '{append.Archive}': chunk {digests[unknown]} was neither uploaded in this session nor confirmed present to it; offer it first");
        for (int i = 0; i < count; i++)
        {
            uint length = _lengths[i];
            if (length == 0 || length > PackFormat.MaxChunkSize)
                throw ServiceErrors.Error(StatusCode.InvalidArgument, $"append to '{append.Archive}': entry {i} has length {length}; it must be 1 to {PackFormat.MaxChunkSize}");
            await archive.AddAsync(_digests[i], (int)length, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Seals what the session uploaded so that a retry finds it, even across a restart.</summary>
    private async Task KeepUploadedAsync()
    {
        if (_session.Uploaded == 0) return;
        try
        {
            await _repository.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Session {Session}: could not seal the chunks it uploaded", _session.Description);
        }
    }

    private RpcException TooMany() => ServiceErrors.Error(StatusCode.ResourceExhausted,
        $"the session references more than {_session.KnownCount} distinct chunks, the server's limit per session; split the backup");
}
