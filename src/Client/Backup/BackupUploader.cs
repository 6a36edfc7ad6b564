using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Bunker.Chunking;
using Bunker.Chunking.Compression;
using Bunker.Client.Wire;
using Bunker.Protocol;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;
using Google.Protobuf;

namespace Bunker.Client.Backup;

/// <summary>
/// One Backup call, pipelined: the caller adds chunks in archive order; the uploader offers their
/// digests in batches without waiting, puts (zstd-compressed) the chunks the server lacks, and
/// appends every entry once its chunk is confirmed or put, as the protocol requires.
/// </summary>
/// <remarks>
/// <para>Four parties share the work:</para>
/// <list type="bullet">
/// <item>the caller hashes each chunk, copies a new one into a pooled buffer and, once a batch is
/// full, queues its offer;</item>
/// <item>the reader task takes the server's answers, in the order of the offers;</item>
/// <item>the dispatcher task finishes batches in order: it frees the chunks the server has,
/// compresses the missing ones on <see cref="BackupUploaderOptions.CompressionWorkers"/> threads,
/// queues their puts, then the batch's appends;</item>
/// <item>the writer task is the only one that writes to the request stream, in queue order.</item>
/// </list>
/// <para>Every append is queued after the offer answer and the puts of the chunks it names, so the
/// server's rule (an append names only chunks the session put or had confirmed) always holds.
/// Memory is bounded by <see cref="BackupUploaderOptions.MaxBufferedBytes"/>.</para>
/// <para>Not thread-safe: one caller adds, commits or aborts, in sequence (like writing a stream).
/// <see cref="Statistics"/> may be read from any thread. Any error of the call (an
/// <see cref="RpcException"/> from the server) ends the upload and is thrown by the next
/// <see cref="AddChunkAsync"/> or by <see cref="CommitAsync"/>.</para>
/// </remarks>
public sealed class BackupUploader : IAsyncDisposable
{
    // Bounds what waits behind an unanswered offer when the input keeps repeating known chunks
    // (those take no buffer, so the byte budget does not stop them).
    private const int MaxEntriesPerBatch = 16_384;
    // A batch is offered once it holds this share of the budget, so that several offers are in
    // flight and the server's answers overlap with the caller's hashing.
    private const int BatchesPerBudget = 4;
    private const int QueuedBatches = 64;

    private readonly AsyncDuplexStreamingCall<BackupRequest, BackupResponse> _call;
    private readonly CancellationTokenSource _callCancellation;
    private readonly BackupUploaderOptions _options;
    private readonly ChunkCompressor _compressor;
    private readonly ByteBudget _budget;
    private readonly int _maxOfferDigests;
    private readonly int _maxAppendEntries;
    private readonly long _batchBytes;
    private readonly HashSet<ChunkDigest> _seen = [];
    private readonly ConcurrentQueue<OfferBatch> _unanswered = new();
    private readonly Channel<OfferBatch> _batches =
        Channel.CreateBounded<OfferBatch>(new BoundedChannelOptions(QueuedBatches) { SingleReader = true, SingleWriter = true });
    private readonly Channel<Outgoing> _outgoing = Channel.CreateUnbounded<Outgoing>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource _failed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<SnapshotInfo> _committed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<BackupAborted> _aborted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _reader;
    private readonly Task _dispatcher;
    private readonly Task _writer;
    private OfferBatch _open = new();
    private ulong _lastRequestId;
    private Exception? _failure;
    private bool _finishing;
    private volatile bool _aborting;
    private int _disposed;

    private long _chunksAdded;
    private long _rawBytesAdded;
    private long _chunksOffered;
    private long _chunksUploaded;
    private long _rawBytesUploaded;
    private long _encodedBytesSent;

    private BackupUploader(AsyncDuplexStreamingCall<BackupRequest, BackupResponse> call, CancellationTokenSource callCancellation,
        BackupStarted started, BackupUploaderOptions options)
    {
        _call = call;
        _callCancellation = callCancellation;
        _options = options;
        Started = started;
        _compressor = new ChunkCompressor(options.CompressionLevel);
        _budget = new ByteBudget(options.MaxBufferedBytes);
        _batchBytes = Math.Max(1, options.MaxBufferedBytes / BatchesPerBudget);
        _maxOfferDigests = Limit(options.MaxOfferDigests, started.MaxOfferDigests);
        _maxAppendEntries = Limit(MaxEntriesPerBatch, started.MaxAppendEntries);
        _reader = Task.Run(ReadAllAsync);
        _dispatcher = Task.Run(DispatchAllAsync);
        _writer = Task.Run(WriteAllAsync);
    }

    /// <summary>The server's answer to the start: session id, repository id and its limits.</summary>
    public BackupStarted Started { get; }

    public BackupUploadStatistics Statistics => new(
        Interlocked.Read(ref _chunksAdded),
        Interlocked.Read(ref _rawBytesAdded),
        Interlocked.Read(ref _chunksOffered),
        Interlocked.Read(ref _chunksUploaded),
        Interlocked.Read(ref _rawBytesUploaded),
        Interlocked.Read(ref _encodedBytesSent),
        _budget.Peak);

    /// <summary>
    /// Opens a Backup call and sends <paramref name="start"/>; returns once the server has answered it.
    /// The call lives until commit, abort or dispose, so <paramref name="options"/> should carry no short deadline.
    /// </summary>
    /// <exception cref="RpcException">The server refused the session (unknown repository, missing role, too many sessions...).</exception>
    public static async Task<BackupUploader> StartAsync(Repository.RepositoryClient client, BackupStart start, CallOptions options,
        BackupUploaderOptions? uploaderOptions = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(start);
        var settings = uploaderOptions ?? BackupUploaderOptions.Default;
        settings.Validate();

        // Our own token on the call, so that a failure on this side (or dispose) can end it.
        var cancellation = CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken);
        AsyncDuplexStreamingCall<BackupRequest, BackupResponse>? call = null;
        try
        {
            call = client.Backup(options.WithCancellationToken(cancellation.Token));
            await call.RequestStream.WriteAsync(new BackupRequest { Start = start }).ConfigureAwait(false);
            if (!await call.ResponseStream.MoveNext(CancellationToken.None).ConfigureAwait(false))
                throw ProtocolError("the server ended the session before answering its start");
            var started = call.ResponseStream.Current.Started ?? throw ProtocolError("the server's first answer was not 'started'");
            return new BackupUploader(call, cancellation, started, settings);
        }
        catch
        {
            call?.Dispose();
            cancellation.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Appends one chunk to <paramref name="archive"/>. The bytes are copied (or only hashed, when the
    /// session has seen the chunk before), so <paramref name="raw"/> may be reused once this returns.
    /// Waits while <see cref="BackupUploaderOptions.MaxBufferedBytes"/> are held.
    /// </summary>
    /// <param name="cancellationToken">Cancels only the wait for buffer space; the chunk is then not added.</param>
    /// <exception cref="RpcException">The call has failed; the upload is over.</exception>
    public ValueTask AddChunkAsync(string archive, ReadOnlyMemory<byte> raw, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(archive);
        if (raw.IsEmpty) throw new ArgumentException("A chunk holds at least one byte.", nameof(raw));
        ThrowIfNotOpen();
        var digest = ChunkDigest.Compute(raw.Span);
        if (_seen.Contains(digest))
            return AddEntry(new PendingEntry(archive, digest, raw.Length));
        if (_budget.TryReserve(raw.Length))
            return AddNew(archive, digest, raw);
        return AddNewWhenRoomAsync(archive, digest, raw, cancellationToken);
    }

    /// <summary>
    /// Appends a chunk that the repository already holds (one of an earlier snapshot's archives) by its digest alone:
    /// nothing is read, sent or buffered for it. Its digest is offered like a new chunk's, because the server lets a
    /// session append only what it uploaded or had confirmed; if the server answers that it is missing, the upload
    /// fails with a <see cref="KnownChunkMissingException"/> naming it.
    /// </summary>
    /// <exception cref="RpcException">The call has failed; the upload is over.</exception>
    public ValueTask AddKnownChunkAsync(string archive, ChunkDigest digest, int length, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(archive);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        ThrowIfNotOpen();
        cancellationToken.ThrowIfCancellationRequested();
        // Once seen (put or confirmed, or on its way to be), the digest needs no offer of its own.
        if (_seen.Add(digest)) _open.Chunks.Add(PendingChunk.Known(digest, length, archive));
        return AddEntry(new PendingEntry(archive, digest, length));
    }

    /// <summary>
    /// Appends a hole: <paramref name="length"/> zero bytes that no chunk holds (<see cref="ChunkDigest.Hole"/>). Nothing is
    /// offered or sent for it; a restore writes nothing there, or zeros where it must.
    /// </summary>
    /// <exception cref="RpcException">The call has failed; the upload is over.</exception>
    public ValueTask AddHoleAsync(string archive, int length, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(archive);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        ThrowIfNotOpen();
        cancellationToken.ThrowIfCancellationRequested();
        return AddEntry(new PendingEntry(archive, ChunkDigest.Hole, length));
    }

    /// <summary>Declares <paramref name="archive"/>, so that the snapshot holds it even with no chunk. Archives appear in the order they are first named.</summary>
    public ValueTask AddArchiveAsync(string archive)
    {
        ArgumentNullException.ThrowIfNull(archive);
        ThrowIfNotOpen();
        return AddEntry(new PendingEntry(archive, default, 0));
    }

    /// <summary>Sends what is still pending, commits the snapshot and returns it.</summary>
    /// <exception cref="RpcException">The server refused a request or the commit; the chunks uploaded are kept for a retry.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired; the call was cancelled.</exception>
    /// <exception cref="CommandFailedException">The repository verifies after backup, and the snapshot did not read back whole.</exception>
    public Task<SnapshotInfo> CommitAsync(CancellationToken cancellationToken = default) => CommitAsync(null, cancellationToken);

    /// <summary>Commits, adding <paramref name="labels"/> known only at the end (they override the start's).</summary>
    /// <inheritdoc cref="CommitAsync(CancellationToken)"/>
    public async Task<SnapshotInfo> CommitAsync(IReadOnlyDictionary<string, string>? labels, CancellationToken cancellationToken = default)
    {
        ThrowIfNotOpen();
        _finishing = true;
        await using var registration = cancellationToken.Register(() => Fail(new OperationCanceledException(cancellationToken))).ConfigureAwait(false);
        try
        {
            await SealAsync().ConfigureAwait(false);
            _batches.Writer.Complete();
            await _dispatcher.ConfigureAwait(false);
            ThrowIfFailed();
            var commit = new CommitSnapshot();
            if (labels is not null)
            {
                foreach (var (key, value) in labels) commit.Labels[key] = value;
            }
            Send(new BackupRequest { Commit = commit });
            _outgoing.Writer.Complete();
            var snapshot = await AnsweredAsync(_committed.Task).ConfigureAwait(false);
            await Task.WhenAll(_writer, _reader).ConfigureAwait(false);
            // Verify-after-backup (the repository's policy): a snapshot that does not read back is not a backup.
            if (snapshot.Verification is { Problems.Count: > 0 } verification)
                throw new CommandFailedException($"snapshot {Convert.ToHexStringLower(snapshot.Id.Span)[..8]} was committed but does not read back whole " +
                    $"(verify-after-backup): {string.Join("; ", verification.Problems.Take(5))}; run 'bunker check --read-data'");
            return snapshot;
        }
        finally
        {
            CompleteQueues();
        }
    }

    /// <summary>
    /// Ends the session without a snapshot; the server keeps the chunks already uploaded, so a retry
    /// sends none of them again. Never throws for the call's own errors: however the call ends, that
    /// holds. Does nothing after a commit or an earlier abort.
    /// </summary>
    public async Task AbortAsync(string reason)
    {
        if (_finishing) return;
        _finishing = true;
        _aborting = true;
        try
        {
            ReleaseChunks(_open);
            _open = new OfferBatch();
            _batches.Writer.Complete();
            await _dispatcher.ConfigureAwait(false);
            if (_failure is null)
            {
                Send(new BackupRequest { Abort = new AbortBackup { Reason = reason ?? "" } });
                _outgoing.Writer.Complete();
                await Task.WhenAny(_aborted.Task, _failed.Task).ConfigureAwait(false);
            }
        }
        finally
        {
            CompleteQueues();
        }
        await Task.WhenAll(_writer, _reader).ConfigureAwait(false);
    }

    /// <summary>Cancels the call unless it was committed or aborted (the server keeps what was uploaded), and frees the buffers.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (!_committed.Task.IsCompleted && !_aborted.Task.IsCompleted)
            Fail(new ObjectDisposedException(nameof(BackupUploader), "The upload was disposed before it was committed or aborted."));
        ReleaseChunks(_open);
        CompleteQueues();
        await Task.WhenAll(_dispatcher, _writer, _reader).ConfigureAwait(false);
        _call.Dispose();
        _callCancellation.Dispose();
    }

    // ---- The caller's side ------------------------------------------------------------------------

    private async ValueTask AddNewWhenRoomAsync(string archive, ChunkDigest digest, ReadOnlyMemory<byte> raw, CancellationToken cancellationToken)
    {
        // Held bytes are freed only once the server answers their offer: offer the open batch before waiting.
        await SealAsync().ConfigureAwait(false);
        await _budget.ReserveAsync(raw.Length, cancellationToken).ConfigureAwait(false);
        await AddNew(archive, digest, raw).ConfigureAwait(false);
    }

    private ValueTask AddNew(string archive, ChunkDigest digest, ReadOnlyMemory<byte> raw)
    {
        var buffer = ChunkBuffers.Pool.Rent(raw.Length);
        raw.Span.CopyTo(buffer);
        _seen.Add(digest);
        _open.Chunks.Add(new PendingChunk(digest, buffer, raw.Length));
        _open.BufferedBytes += raw.Length;
        return AddEntry(new PendingEntry(archive, digest, raw.Length));
    }

    private ValueTask AddEntry(PendingEntry entry)
    {
        _open.Entries.Add(entry);
        if (entry.Length > 0 && !entry.Digest.IsHole)
        {
            Interlocked.Increment(ref _chunksAdded);
            Interlocked.Add(ref _rawBytesAdded, entry.Length);
        }
        bool full = _open.Chunks.Count >= _maxOfferDigests || _open.BufferedBytes >= _batchBytes || _open.Entries.Count >= MaxEntriesPerBatch;
        return full ? SealAsync() : default;
    }

    /// <summary>Closes the open batch: queues its offer (if it has new chunks) and hands it to the dispatcher.</summary>
    private ValueTask SealAsync()
    {
        var batch = _open;
        if (batch.IsEmpty) return default;
        _open = new OfferBatch();
        int count = batch.Chunks.Count;
        if (count > 0)
        {
            batch.RequestId = ++_lastRequestId;
            var packed = ArrayPool<byte>.Shared.Rent(count * ChunkDigest.Size);
            for (int i = 0; i < count; i++)
                batch.Chunks[i].Digest.CopyTo(packed.AsSpan(i * ChunkDigest.Size));
            // Queued for the reader before the offer can be written, so that its answer always finds it.
            _unanswered.Enqueue(batch);
            Send(new BackupRequest
            {
                Offer = new OfferDigests { RequestId = batch.RequestId, Digests = UnsafeByteOperations.UnsafeWrap(packed.AsMemory(0, count * ChunkDigest.Size)) },
            }, _ => ArrayPool<byte>.Shared.Return(packed));
            Interlocked.Add(ref _chunksOffered, count);
        }
        // Not cancellable: a batch whose offer is queued must reach the dispatcher, or its entries would be lost.
        return _batches.Writer.TryWrite(batch) ? default : _batches.Writer.WriteAsync(batch);
    }

    // ---- The dispatcher: finishes batches in order ----------------------------------------------

    private async Task DispatchAllAsync()
    {
        await foreach (var batch in _batches.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                if (_failure is null && !_aborting)
                    await FinishAsync(batch).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Fail(e);
            }
            finally
            {
                ReleaseChunks(batch);
            }
        }
    }

    private async Task FinishAsync(OfferBatch batch)
    {
        if (batch.Chunks.Count > 0)
        {
            var answer = await AnsweredAsync(batch.Answer.Task).ConfigureAwait(false);
            if (_aborting) return;
            List<PendingChunk>? missing = null;
            var bits = answer.Missing.Span;
            for (int i = 0; i < batch.Chunks.Count; i++)
            {
                var chunk = batch.Chunks[i];
                if ((bits[i >> 3] & (1 << (i & 7))) != 0)
                {
                    if (chunk.IsKnown) throw new KnownChunkMissingException(chunk.Digest, chunk.RawLength, chunk.KnownArchive!);
                    (missing ??= []).Add(chunk);
                }
                else
                    chunk.Release(_budget); // the server has it: only its digest is needed from now on
            }
            if (missing is not null)
                await UploadAsync(missing).ConfigureAwait(false);
        }
        SendAppends(batch.Entries);
    }

    /// <summary>Compresses the chunks on the worker threads (this one included) and queues their puts.</summary>
    private async Task UploadAsync(List<PendingChunk> chunks)
    {
        var puts = new PutBatcher(_options.MaxPutBytes, SendPut);
        int next = -1;
        void Work()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < chunks.Count)
            {
                Compress(chunks[i]);
                puts.Add(chunks[i]);
            }
        }

        var helpers = new Task[Math.Min(_options.CompressionWorkers, chunks.Count) - 1];
        for (int w = 0; w < helpers.Length; w++)
            helpers[w] = Task.Run(Work);
        try
        {
            Work();
        }
        finally
        {
            await Task.WhenAll(helpers).ConfigureAwait(false);
            // Even after a failure: the writer then only releases what was handed to it.
            puts.Flush();
        }
    }

    private void Compress(PendingChunk chunk)
    {
        var encoded = ChunkBuffers.Pool.Rent(_compressor.MaxStoredLength(chunk.RawLength));
        try
        {
            var codec = _compressor.Compress(chunk.Buffer.AsSpan(0, chunk.RawLength), encoded, out int written);
            chunk.Encoded(encoded, written, ChunkEncodings.ToWire(codec));
        }
        catch
        {
            ChunkBuffers.Pool.Return(encoded);
            throw;
        }
    }

    private void SendPut(PutChunks put, List<PendingChunk> chunks) => Send(new BackupRequest { Put = put }, written =>
    {
        foreach (var chunk in chunks)
        {
            if (written)
            {
                Interlocked.Increment(ref _chunksUploaded);
                Interlocked.Add(ref _rawBytesUploaded, chunk.RawLength);
                Interlocked.Add(ref _encodedBytesSent, chunk.EncodedLength);
            }
            chunk.Release(_budget);
        }
    });

    /// <summary>Queues the entries as appends: one message per run of one archive, within the server's limit.</summary>
    private void SendAppends(List<PendingEntry> entries)
    {
        int start = 0;
        while (start < entries.Count)
        {
            string archive = entries[start].Archive;
            int end = start, chunks = 0;
            while (end < entries.Count && entries[end].Archive == archive && chunks < _maxAppendEntries)
            {
                if (entries[end].Length > 0) chunks++;
                end++;
            }
            var packed = ArrayPool<byte>.Shared.Rent(Math.Max(1, chunks * ChunkEntryLayout.Size));
            int at = 0;
            for (int i = start; i < end; i++)
            {
                if (entries[i].Length == 0) continue; // a declaration: the message itself is enough
                ChunkEntryLayout.Write(packed.AsSpan(at), entries[i].Digest, (uint)entries[i].Length);
                at += ChunkEntryLayout.Size;
            }
            Send(new BackupRequest
            {
                Append = new AppendArchive { Archive = archive, Entries = UnsafeByteOperations.UnsafeWrap(packed.AsMemory(0, at)) },
            }, _ => ArrayPool<byte>.Shared.Return(packed));
            start = end;
        }
    }

    private void ReleaseChunks(OfferBatch batch)
    {
        foreach (var chunk in batch.Chunks)
        {
            if (!chunk.HandedOff) chunk.Release(_budget);
        }
    }

    // ---- The writer and the reader ----------------------------------------------------------------

    /// <summary>A request and what to do once it is written (true) or dropped after a failure (false).</summary>
    private readonly record struct Outgoing(BackupRequest Request, Action<bool>? Done);

    private void Send(BackupRequest request, Action<bool>? done = null)
    {
        if (!_outgoing.Writer.TryWrite(new Outgoing(request, done)))
            done?.Invoke(false);
    }

    private async Task WriteAllAsync()
    {
        await foreach (var item in _outgoing.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            bool written = false;
            try
            {
                if (_failure is null)
                {
                    await _call.RequestStream.WriteAsync(item.Request).ConfigureAwait(false);
                    written = true;
                }
            }
            catch (Exception e)
            {
                Fail(e);
            }
            finally
            {
                item.Done?.Invoke(written);
            }
        }
        if (_failure is not null) return;
        try
        {
            await _call.RequestStream.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Fail(e);
        }
    }

    private async Task ReadAllAsync()
    {
        try
        {
            var responses = _call.ResponseStream;
            while (await responses.MoveNext(CancellationToken.None).ConfigureAwait(false))
            {
                var response = responses.Current;
                switch (response.KindCase)
                {
                    case BackupResponse.KindOneofCase.OfferResult:
                        Answer(response.OfferResult);
                        break;
                    case BackupResponse.KindOneofCase.Committed:
                        _committed.TrySetResult(response.Committed);
                        break;
                    case BackupResponse.KindOneofCase.Aborted:
                        _aborted.TrySetResult(response.Aborted);
                        break;
                    default:
                        throw ProtocolError($"the server sent an unexpected '{response.KindCase}' message");
                }
            }
            if (!_committed.Task.IsCompleted && !_aborted.Task.IsCompleted)
                throw ProtocolError("the server ended the session without committing or aborting it");
        }
        catch (Exception e)
        {
            Fail(e);
        }
    }

    private void Answer(OfferResult result)
    {
        if (!_unanswered.TryDequeue(out var batch) || batch.RequestId != result.RequestId)
            throw ProtocolError($"the server answered offer {result.RequestId}, but {batch?.RequestId.ToString(CultureInfo.InvariantCulture) ?? "none"} was due");
        if (result.Missing.Length * 8L < batch.Chunks.Count)
            throw ProtocolError($"the answer to offer {result.RequestId} covers {result.Missing.Length * 8} of its {batch.Chunks.Count} digests");
        batch.Answer.TrySetResult(result);
    }

    // ---- Failure ----------------------------------------------------------------------------------

    /// <summary>Records the first failure, wakes everyone who waits, and cancels the call so the server stops too.</summary>
    private void Fail(Exception failure)
    {
        if (Interlocked.CompareExchange(ref _failure, failure, null) is not null) return;
        _failed.TrySetResult();
        _budget.Fail(failure);
        try
        {
            _callCancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>The answer, or the failure if that comes first (an answer already in wins).</summary>
    private async Task<T> AnsweredAsync<T>(Task<T> answer)
    {
        if (await Task.WhenAny(answer, _failed.Task).ConfigureAwait(false) != answer && !answer.IsCompleted)
            ExceptionDispatchInfo.Throw(_failure!);
        return await answer.ConfigureAwait(false);
    }

    private void ThrowIfFailed()
    {
        if (_failure is { } failure) ExceptionDispatchInfo.Throw(failure);
    }

    private void ThrowIfNotOpen()
    {
        ThrowIfFailed();
        if (_finishing) throw new InvalidOperationException("The upload was already committed or aborted.");
    }

    private void CompleteQueues()
    {
        _batches.Writer.TryComplete();
        _outgoing.Writer.TryComplete();
    }

    private static int Limit(int ours, uint servers) => servers == 0 ? ours : (int)Math.Min((uint)ours, servers);

    private static RpcException ProtocolError(string message) =>
        new(new Status(StatusCode.Internal, "backup protocol violated: " + message));
}
