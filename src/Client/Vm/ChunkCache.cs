using Bunker.Chunking;

namespace Bunker.Client.Vm;

/// <summary>
/// Chunks by digest, the least recently used dropped beyond a fixed count. Concurrent reads of one missing chunk
/// share a single fetch; a failed fetch is not cached, so the next read tries again.
/// </summary>
internal sealed class ChunkCache(int capacity)
{
    private readonly object _lock = new();
    private readonly Dictionary<ChunkDigest, LinkedListNode<(ChunkDigest Digest, Task<byte[]> Chunk)>> _entries = [];
    private readonly LinkedList<(ChunkDigest Digest, Task<byte[]> Chunk)> _recency = new();
    private long _fetched;

    public long Fetched => Interlocked.Read(ref _fetched);

    public Task<byte[]> GetAsync(ChunkDigest digest, Func<ChunkDigest, Task<byte[]>> fetch)
    {
        var filled = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (_entries.TryGetValue(digest, out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                return node.Value.Chunk;
            }
            _entries[digest] = _recency.AddFirst((digest, filled.Task));
            while (_entries.Count > capacity)
            {
                var last = _recency.Last!;
                _recency.RemoveLast();
                _entries.Remove(last.Value.Digest);
            }
        }
        // Outside the lock: the fetch is a network call.
        _ = FillAsync(digest, fetch, filled);
        return filled.Task;
    }

    private async Task FillAsync(ChunkDigest digest, Func<ChunkDigest, Task<byte[]>> fetch, TaskCompletionSource<byte[]> filled)
    {
        try
        {
            var chunk = await fetch(digest).ConfigureAwait(false);
            Interlocked.Increment(ref _fetched);
            filled.SetResult(chunk);
        }
        catch (Exception e)
        {
            lock (_lock)
            {
                if (_entries.TryGetValue(digest, out var node) && node.Value.Chunk == filled.Task)
                {
                    _recency.Remove(node);
                    _entries.Remove(digest);
                }
            }
            filled.SetException(e);
        }
    }
}
