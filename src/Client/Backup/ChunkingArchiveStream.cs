using Bunker.Chunking;

namespace Bunker.Client.Backup;

/// <summary>
/// A write-only stream that cuts what is written into content-defined chunks and hands each one to a sink, for a
/// source that produces an archive as a byte stream (a catalog, a tar). Holds at most two maximum-size chunks.
/// <see cref="CompleteAsync"/> cuts the tail; <see cref="FlushAsync(CancellationToken)"/> does not, so that a flush
/// never moves a cut point (and with it the dedup of everything after it).
/// </summary>
public sealed class ChunkingArchiveStream : Stream
{
    private readonly Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> _sink;
    private readonly IChunkBoundary _boundary;
    private byte[]? _buffer;
    // Pending bytes are _buffer[_start.._end).
    private int _start;
    private int _end;
    private long _written;
    private bool _completed;

    /// <param name="sink">Receives each chunk; the memory is reused once it returns, so it must copy what it keeps.</param>
    public ChunkingArchiveStream(Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> sink, IChunkBoundary boundary)
    {
        _sink = sink ?? throw new ArgumentNullException(nameof(sink));
        _boundary = boundary ?? throw new ArgumentNullException(nameof(boundary));
        // Not from ArrayPool.Shared: a 16 MiB array per archive would stay pooled per thread long after the backup.
        _buffer = GC.AllocateUninitializedArray<byte>(checked(2 * boundary.MaxSize));
    }

    /// <summary>A stream whose chunks go to <paramref name="archive"/> of <paramref name="uploader"/> (FastCDC with its defaults unless given).</summary>
    public static ChunkingArchiveStream For(BackupUploader uploader, string archive, IChunkBoundary? boundary = null)
    {
        ArgumentNullException.ThrowIfNull(uploader);
        ArgumentNullException.ThrowIfNull(archive);
        return new ChunkingArchiveStream((chunk, ct) => uploader.AddChunkAsync(archive, chunk, ct), boundary ?? new FastCdcChunker());
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => !_completed && _buffer is not null;
    public override long Length => _written;
    public override long Position { get => _written; set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        var buffer = WritableBuffer();
        while (!data.IsEmpty)
        {
            if (_end == buffer.Length)
            {
                // Less than MaxSize is pending here (we cut whenever a full window is), so each slide copies less
                // than the MaxSize bytes consumed since the last one.
                Buffer.BlockCopy(buffer, _start, buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            int take = Math.Min(data.Length, buffer.Length - _end);
            data.Span[..take].CopyTo(buffer.AsSpan(_end));
            _end += take;
            _written += take;
            data = data[take..];
            // Cut only with a full window ahead, so a cut does not depend on how the writes were split.
            while (_end - _start >= _boundary.MaxSize)
                await CutAsync(buffer, final: false, cancellationToken).ConfigureAwait(false);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Blocks on the asynchronous write: the sink is asynchronous, and a synchronous caller has nothing better to do.</summary>
    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    /// <summary>Cuts and hands over what is left. Nothing may be written after it.</summary>
    public async ValueTask CompleteAsync(CancellationToken cancellationToken = default)
    {
        var buffer = WritableBuffer();
        while (_end > _start)
            await CutAsync(buffer, final: true, cancellationToken).ConfigureAwait(false);
        _completed = true;
    }

    /// <summary>Does nothing: only <see cref="CompleteAsync"/> may cut a chunk short.</summary>
    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        _buffer = null;
        base.Dispose(disposing);
    }

    private async ValueTask CutAsync(byte[] buffer, bool final, CancellationToken cancellationToken)
    {
        int cut = _boundary.NextCut(buffer.AsSpan(_start, _end - _start), final);
        await _sink(buffer.AsMemory(_start, cut), cancellationToken).ConfigureAwait(false);
        _start += cut;
    }

    private byte[] WritableBuffer()
    {
        var buffer = _buffer ?? throw new ObjectDisposedException(nameof(ChunkingArchiveStream));
        if (_completed) throw new InvalidOperationException("The archive stream was completed; nothing more can be written.");
        return buffer;
    }
}
