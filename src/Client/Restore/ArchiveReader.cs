using System.Buffers;
using System.Threading.Channels;
using Bunker.Chunking;
using Bunker.Client.Wire;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;
using Google.Protobuf;

namespace Bunker.Client.Restore;

/// <summary>
/// An archive's content as a forward-only stream: catalogs, dumps, anything read in order. A
/// background task reads the chunk list, fetches the chunks batch by batch over ReadChunks (each
/// verified against its digest), and puts them back in archive order; reads take from there.
/// </summary>
/// <remarks>
/// Memory is bounded: at most <see cref="BatchesAhead"/> batches of up to <see cref="MaxBatchBytes"/>
/// wait besides the one being read, plus the ones being fetched (one, or the parallel count asked
/// for). The server answers a batch in pack order, so a batch is collected whole before its chunks
/// are handed out in archive order.
/// </remarks>
public sealed class ArchiveReader : Stream
{
    /// <summary>Raw bytes one batch (one ReadChunks call) asks for, at most; a single larger chunk is a batch of its own.</summary>
    public const int MaxBatchBytes = 16 << 20;
    private const int MaxBatchEntries = 1024;
    private const int BatchesAhead = 2;

    private readonly Channel<Batch> _ready = Channel.CreateBounded<Batch>(new BoundedChannelOptions(BatchesAhead) { SingleReader = true, SingleWriter = true });
    private readonly CancellationTokenSource _stop;
    private readonly Task _pump;
    private Batch? _current;
    private int _entry;
    private int _offsetInEntry;
    private long _position;
    private bool _ended;

    private ArchiveReader(CancellationTokenSource stop, Func<ArchiveReader, Task> pump)
    {
        _stop = stop;
        _pump = Task.Run(() => pump(this));
    }

    /// <summary>
    /// Opens <paramref name="archive"/> of a snapshot for reading, from chunk <paramref name="firstChunk"/>
    /// for <paramref name="chunkCount"/> chunks (-1: to the end). Errors of the calls surface from Read.
    /// With <paramref name="parallel"/> above 1, that many batches are fetched at once, each over its own
    /// ReadChunks stream, and still handed out in archive order: a big archive (a database's base backup)
    /// then comes back at the speed of several streams, for <paramref name="parallel"/> more batches of memory.
    /// </summary>
    public static ArchiveReader Open(Repository.RepositoryClient client, string repository, ByteString snapshotId, string archive,
        CallOptions options, long firstChunk = 0, long chunkCount = -1, int parallel = 1)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(archive);
        ArgumentOutOfRangeException.ThrowIfNegative(firstChunk);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkCount, -1);
        ArgumentOutOfRangeException.ThrowIfLessThan(parallel, 1);
        var stop = CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken);
        var callOptions = options.WithCancellationToken(stop.Token);
        return new ArchiveReader(stop, reader => reader.PumpAsync(client, repository, snapshotId, archive, callOptions, firstChunk, chunkCount, parallel));
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        // Sync callers (CodedInputStream, StreamReader) get the same data; the wait blocks only them.
        var scratch = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            int n = ReadAsync(scratch.AsMemory(0, buffer.Length)).AsTask().GetAwaiter().GetResult();
            scratch.AsSpan(0, n).CopyTo(buffer);
            return n;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty) return 0;
        while (true)
        {
            if (_current is not null && _entry < _current.Count)
            {
                var source = _current.Entry(_entry)[_offsetInEntry..];
                int n = Math.Min(source.Length, buffer.Length);
                source[..n].CopyTo(buffer.Span);
                _offsetInEntry += n;
                if (_offsetInEntry == _current.Entry(_entry).Length)
                {
                    _entry++;
                    _offsetInEntry = 0;
                }
                _position += n;
                return n;
            }
            _current?.Release();
            _current = null;
            if (_ended) return 0;
            if (!await _ready.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                // The pump completed the channel: a clean end, or its failure, which is ours now.
                _ended = true;
                await _pump.ConfigureAwait(false);
                return 0;
            }
            _ready.Reader.TryRead(out _current);
            _entry = 0;
            _offsetInEntry = 0;
        }
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) DisposeCore();
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        DisposeCore();
        try
        {
            await _pump.ConfigureAwait(false);
        }
        catch
        {
            // Stopped or already failed: nothing is read any more, so the error has no one to reach.
        }
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private void DisposeCore()
    {
        if (_stop.IsCancellationRequested) return;
        _stop.Cancel();
        _current?.Release();
        _current = null;
        while (_ready.Reader.TryRead(out var batch)) batch.Release();
    }

    // ---- The pump ---------------------------------------------------------------------------------

    private async Task PumpAsync(Repository.RepositoryClient client, string repository, ByteString snapshotId, string archive,
        CallOptions options, long firstChunk, long chunkCount, int parallel)
    {
        Exception? failure = null;
        // Batches being fetched, oldest first: they are handed out in this order, whatever order they finish in.
        var inFlight = new Queue<Task<Batch>>(parallel);
        // Cancels the other fetches when one fails; not _stop, which is the reader's own (its dispose still frees what it holds).
        using var fetches = CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken);
        var cancellationToken = options.CancellationToken;
        options = options.WithCancellationToken(fetches.Token);
        try
        {
            var pending = new List<ArchiveEntry>(MaxBatchEntries);
            long batchBytes = 0, index = -1, taken = 0;
            await foreach (var entry in ArchiveIndexReader.ReadAsync(client, repository, snapshotId, archive, options, cancellationToken).ConfigureAwait(false))
            {
                if (++index < firstChunk) continue;
                if (chunkCount >= 0 && taken == chunkCount) break;
                taken++;
                if (pending.Count > 0 && (pending.Count == MaxBatchEntries || batchBytes + entry.Length > MaxBatchBytes))
                {
                    await StartBatchAsync(client, repository, pending, options, inFlight, parallel).ConfigureAwait(false);
                    pending = new List<ArchiveEntry>(MaxBatchEntries);
                    batchBytes = 0;
                }
                pending.Add(entry);
                batchBytes += entry.Length;
            }
            if (chunkCount >= 0 && taken < chunkCount)
                throw new InvalidDataException($"archive '{archive}' holds {index + 1} chunks; chunks {firstChunk} to {firstChunk + chunkCount - 1} were asked for");
            if (pending.Count > 0)
                await StartBatchAsync(client, repository, pending, options, inFlight, parallel).ConfigureAwait(false);
            while (inFlight.Count > 0)
                await HandOutAsync(await inFlight.Dequeue().ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            failure = e;
            await fetches.CancelAsync().ConfigureAwait(false);
            while (inFlight.Count > 0)
            {
                try
                {
                    (await inFlight.Dequeue().ConfigureAwait(false)).Release();
                }
                catch
                {
                    // The first failure is the one reported; the others were cancelled by it.
                }
            }
            throw;
        }
        finally
        {
            _ready.Writer.TryComplete(failure);
        }
    }

    /// <summary>Starts fetching a batch; when <paramref name="parallel"/> are already under way, first hands out the oldest.</summary>
    private async Task StartBatchAsync(Repository.RepositoryClient client, string repository, List<ArchiveEntry> entries, CallOptions options,
        Queue<Task<Batch>> inFlight, int parallel)
    {
        if (inFlight.Count == parallel)
            await HandOutAsync(await inFlight.Dequeue().ConfigureAwait(false), _stop.Token).ConfigureAwait(false);
        inFlight.Enqueue(FetchBatchAsync(client, repository, entries, options));
    }

    private async Task HandOutAsync(Batch batch, CancellationToken cancellationToken)
    {
        try
        {
            await _ready.Writer.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            batch.Release();
            throw;
        }
    }

    private async Task<Batch> FetchBatchAsync(Repository.RepositoryClient client, string repository, List<ArchiveEntry> entries, CallOptions options)
    {
        var batch = new Batch(entries.Count);
        try
        {
            var expected = new HashSet<ChunkDigest>(entries.Count);
            var packed = new byte[entries.Count * ChunkDigest.Size];
            int distinct = 0;
            foreach (var entry in entries)
            {
                // A hole is zeros, not a chunk: nothing to ask for.
                if (!entry.Digest.IsHole && expected.Add(entry.Digest))
                    entry.Digest.CopyTo(packed.AsSpan(distinct++ * ChunkDigest.Size));
            }
            var request = new ReadChunksRequest { Repository = repository, Digests = UnsafeByteOperations.UnsafeWrap(packed.AsMemory(0, distinct * ChunkDigest.Size)) };
            if (distinct > 0)
            {
                using var call = client.ReadChunks(request, options);
                while (await call.ResponseStream.MoveNext(options.CancellationToken).ConfigureAwait(false))
                {
                    var chunk = call.ResponseStream.Current;
                    var digest = ChunkFetcher.Received(chunk, expected);
                    var buffer = ChunkBuffers.Pool.Rent((int)chunk.RawLength);
                    batch.Hold(digest, buffer, (int)chunk.RawLength);
                    ChunkFetcher.Decode(chunk, digest, buffer.AsSpan(0, (int)chunk.RawLength));
                }
            }
            if (expected.Count > 0)
                throw new InvalidDataException($"the server did not send {expected.Count} of the chunks asked for");
            foreach (var entry in entries)
                batch.Append(entry);
            return batch;
        }
        catch
        {
            batch.Release();
            throw;
        }
    }

    /// <summary>One ReadChunks call's chunks, by digest, and the archive's entries they fill, in order.</summary>
    private sealed class Batch(int capacity)
    {
        // What every hole entry reads as; never written, never returned to the pool.
        private static readonly Lazy<byte[]> Zeros = new(() => new byte[ChunkEntryLayout.MaxLength]);

        private readonly Dictionary<ChunkDigest, (byte[] Buffer, int Length)> _chunks = new(capacity);
        private readonly List<(byte[] Buffer, int Length)> _order = new(capacity);
        private int _released;

        public int Count => _order.Count;

        public void Hold(in ChunkDigest digest, byte[] buffer, int length) => _chunks[digest] = (buffer, length);

        public void Append(ArchiveEntry entry)
        {
            if (entry.Digest.IsHole)
            {
                _order.Add((Zeros.Value, entry.Length));
                return;
            }
            var held = _chunks[entry.Digest];
            if (held.Length != entry.Length)
                throw new InvalidDataException($"chunk {entry.Digest} is {held.Length} bytes, but the archive index says {entry.Length}");
            _order.Add(held);
        }

        public ReadOnlySpan<byte> Entry(int index) => _order[index].Buffer.AsSpan(0, _order[index].Length);

        public void Release()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0) return;
            foreach (var (buffer, _) in _chunks.Values) ChunkBuffers.Pool.Return(buffer);
        }
    }
}
