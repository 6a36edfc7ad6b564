using System.Runtime.InteropServices;
using Bunker.Chunking;

namespace Bunker.Bench.Workloads;

/// <summary>
/// A read-only stream of <c>length</c> incompressible bytes, generated in 8 MiB blocks by SplitMix64
/// (block b seeded with seed + b). The same seed always gives the same bytes, whatever the read
/// sizes, and nothing but the current block is held in memory.
/// </summary>
internal sealed class PseudoRandomStream(long length, ulong seed) : Stream
{
    private const int BlockSize = 8 << 20;

    private readonly byte[] _block = new byte[BlockSize];
    private long _blockNumber = -1;
    private long _position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int count = (int)Math.Min(buffer.Length, length - _position);
        if (count <= 0) return 0;
        long block = _position / BlockSize;
        if (block != _blockNumber) Generate(block);
        int at = (int)(_position % BlockSize);
        count = Math.Min(count, BlockSize - at);
        _block.AsSpan(at, count).CopyTo(buffer);
        _position += count;
        return count;
    }

    private void Generate(long block)
    {
        var random = new SplitMix64(seed + (ulong)block);
        foreach (ref ulong word in MemoryMarshal.Cast<byte, ulong>(_block.AsSpan()))
            word = random.Next();
        _blockNumber = block;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
