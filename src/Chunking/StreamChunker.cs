using System.Buffers;

namespace Bunker.Chunking;

/// <summary>
/// Cuts a <see cref="Stream"/> into chunks through one pooled buffer of about 2 x MaxSize.
/// Allocates nothing per chunk: <see cref="Current"/> is a view into the buffer, valid until the
/// next move. Not thread-safe; one consumer at a time.
/// </summary>
public sealed class StreamChunker : IDisposable
{
    private readonly Stream _stream;
    private readonly IChunkBoundary _boundary;
    private readonly bool _leaveOpen;
    private readonly int _maxSize;
    private byte[]? _buffer;

    // Valid bytes are _buffer[_start.._end); Current is _buffer[_start.._start+_currentLength).
    private int _start;
    private int _end;
    private int _currentLength;
    private bool _endOfStream;
    private long _startOffset;

    public StreamChunker(Stream stream, IChunkBoundary boundary, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(boundary);
        if (!stream.CanRead)
        {
            throw new ArgumentException("The stream must be readable.", nameof(stream));
        }

        _stream = stream;
        _boundary = boundary;
        _leaveOpen = leaveOpen;
        _maxSize = boundary.MaxSize;
        _buffer = ArrayPool<byte>.Shared.Rent(checked(2 * _maxSize));
    }

    /// <summary>The current chunk; valid until the next <see cref="MoveNext"/>/<see cref="MoveNextAsync"/> or <see cref="Dispose"/>.</summary>
    public ReadOnlyMemory<byte> Current => _buffer is null
        ? throw new ObjectDisposedException(nameof(StreamChunker))
        : new ReadOnlyMemory<byte>(_buffer, _start, _currentLength);

    /// <summary>Offset of <see cref="Current"/> in the stream (counted from where reading began).</summary>
    public long CurrentOffset => _startOffset;

    /// <summary>Advances to the next chunk; false at the end of the stream.</summary>
    public bool MoveNext()
    {
        byte[] buffer = Advance();
        while (NeedsMore)
        {
            Filled(_stream.Read(buffer, _end, buffer.Length - _end));
        }

        return Cut(buffer);
    }

    /// <summary>Advances to the next chunk; false at the end of the stream. Completes synchronously while buffered data suffices.</summary>
    public async ValueTask<bool> MoveNextAsync(CancellationToken ct = default)
    {
        byte[] buffer = Advance();
        while (NeedsMore)
        {
            Filled(await _stream.ReadAsync(buffer.AsMemory(_end, buffer.Length - _end), ct).ConfigureAwait(false));
        }

        return Cut(buffer);
    }

    public void Dispose()
    {
        byte[]? buffer = _buffer;
        if (buffer is null)
        {
            return;
        }

        _buffer = null;
        _currentLength = 0;
        ArrayPool<byte>.Shared.Return(buffer);
        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }

    private bool NeedsMore => !_endOfStream && _end - _start < _maxSize;

    /// <summary>Consumes the current chunk and, when too little room is left behind it, slides the rest to the front.</summary>
    private byte[] Advance()
    {
        byte[] buffer = _buffer ?? throw new ObjectDisposedException(nameof(StreamChunker));
        _start += _currentLength;
        _startOffset += _currentLength;
        _currentLength = 0;

        // Slide only when a full MaxSize window no longer fits: with a 2 x MaxSize buffer this
        // copies less than MaxSize bytes per at least MaxSize bytes consumed.
        if (NeedsMore && buffer.Length - _start < _maxSize)
        {
            int pending = _end - _start;
            Buffer.BlockCopy(buffer, _start, buffer, 0, pending);
            _start = 0;
            _end = pending;
        }

        return buffer;
    }

    private void Filled(int read)
    {
        if (read < 0 || read > _buffer!.Length - _end)
        {
            throw new InvalidOperationException($"The stream reported an impossible read of {read} bytes.");
        }

        if (read == 0)
        {
            _endOfStream = true;
        }

        _end += read;
    }

    private bool Cut(byte[] buffer)
    {
        int pending = _end - _start;
        if (pending == 0)
        {
            return false;
        }

        _currentLength = _boundary.NextCut(buffer.AsSpan(_start, pending), _endOfStream);
        if (_currentLength < 1 || _currentLength > Math.Min(pending, _maxSize))
        {
            throw new InvalidOperationException(
                $"{_boundary.GetType().Name} returned a cut of {_currentLength} for {pending} bytes (MaxSize {_maxSize}).");
        }

        return true;
    }
}
