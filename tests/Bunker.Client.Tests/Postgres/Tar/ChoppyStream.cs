namespace Bunker.Client.Tests.Postgres.Tar;

/// <summary>
/// A forward-only view of another stream that hands out 1..maxRead bytes per read, at (seeded) random, as a
/// network stream may; it counts what it has handed out, so a test can tell how far a reader went.
/// </summary>
internal sealed class ChoppyStream(Stream inner, int maxRead = 7000, int seed = 5) : Stream
{
    private readonly Random _random = new(seed);

    public long Consumed { get; private set; }

    public int Reads { get; private set; }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        Reads++;
        int read = inner.Read(buffer[..Math.Min(buffer.Length, _random.Next(1, maxRead + 1))]);
        Consumed += read;
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        return Read(buffer.Span);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
