using Bunker.Chunking;
using Bunker.Protocol.V1;
using Google.Protobuf;

namespace Bunker.Client.Backup;

/// <summary>
/// Gathers encoded chunks into PutChunks messages of about <c>maxBytes</c> each (a larger chunk goes
/// alone) and hands every full message to <c>send</c> with the chunks it carries. Thread-safe: the
/// compression workers add concurrently.
/// </summary>
internal sealed class PutBatcher(int maxBytes, Action<PutChunks, List<PendingChunk>> send)
{
    private readonly Lock _lock = new();
    private PutChunks _message = new();
    private List<PendingChunk> _chunks = [];
    private long _bytes;

    public void Add(PendingChunk chunk)
    {
        var data = ToWire(chunk);
        lock (_lock)
        {
            if (_chunks.Count > 0 && _bytes + chunk.EncodedLength > maxBytes) FlushLocked();
            _message.Chunks.Add(data);
            _chunks.Add(chunk);
            chunk.HandedOff = true;
            _bytes += chunk.EncodedLength;
            if (_bytes >= maxBytes) FlushLocked();
        }
    }

    public void Flush()
    {
        lock (_lock)
        {
            if (_chunks.Count > 0) FlushLocked();
        }
    }

    private void FlushLocked()
    {
        send(_message, _chunks);
        _message = new PutChunks();
        _chunks = [];
        _bytes = 0;
    }

    private static ChunkData ToWire(PendingChunk chunk)
    {
        Span<byte> digest = stackalloc byte[ChunkDigest.Size];
        chunk.Digest.CopyTo(digest);
        return new ChunkData
        {
            Digest = ByteString.CopyFrom(digest),
            Encoding = chunk.Encoding,
            RawLength = (uint)chunk.RawLength,
            // No copy: the pooled buffer stays with the chunk until the message has been written.
            Data = UnsafeByteOperations.UnsafeWrap(chunk.Buffer.AsMemory(0, chunk.EncodedLength)),
        };
    }
}
