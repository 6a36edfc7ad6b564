using System.Collections.Concurrent;

namespace Bunker.Storage.Stores.Composite;

/// <summary>
/// Whole packs from a slow tier kept on local disk, at most <see cref="MaxBytes"/>, the least recently used dropped
/// first. A restore reads many ranges of one pack; with the pack here that is one GET instead of one per range. Files
/// are written to a temporary name and renamed, so a crash leaves whole packs or none; what is there is indexed again
/// at start. Thread-safe.
/// </summary>
public sealed class PackReadCache
{
    private readonly string _directory;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _evictLock = new();
    private long _bytes;
    private long _hits, _misses;

    public PackReadCache(string directory, long maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        _directory = Path.GetFullPath(directory);
        MaxBytes = maxBytes;
        Directory.CreateDirectory(_directory);
        foreach (var file in new DirectoryInfo(_directory).EnumerateFiles())
        {
            if (file.Name.EndsWith(".tmp", StringComparison.Ordinal) || !ObjectNames.IsValid(StoreObjectKind.Pack, file.Name))
            {
                file.Delete();
                continue;
            }
            _entries[file.Name] = new Entry(file.Length, file.LastWriteTimeUtc.Ticks);
            _bytes += file.Length;
        }
        Evict();
    }

    public long MaxBytes { get; }
    public long Bytes => Interlocked.Read(ref _bytes);
    public long Hits => Interlocked.Read(ref _hits);
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>Reads a range of pack <paramref name="name"/> from the cache, fetching the whole pack with <paramref name="fetch"/> first on a miss.</summary>
    public async Task ReadRangeAsync(string name, long offset, Memory<byte> destination, Func<Task<byte[]>> fetch, CancellationToken cancellationToken)
    {
        ObjectNames.Validate(StoreObjectKind.Pack, name);
        string path = Path.Combine(_directory, name);
        if (_entries.TryGetValue(name, out var entry))
        {
            try
            {
                using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                long size = RandomAccess.GetLength(handle);
                if (offset + destination.Length > size) throw new StoreObjectTruncatedException("cache", StoreObjectKind.Pack, name, size, offset + destination.Length);
                int read = 0;
                while (read < destination.Length)
                {
                    int n = await RandomAccess.ReadAsync(handle, destination[read..], offset + read, cancellationToken).ConfigureAwait(false);
                    if (n == 0) break;
                    read += n;
                }
                if (read == destination.Length)
                {
                    entry.Touch();
                    Interlocked.Increment(ref _hits);
                    return;
                }
            }
            catch (FileNotFoundException)
            {
                // Evicted under us: fetch it again.
            }
        }
        Interlocked.Increment(ref _misses);
        byte[] pack = await fetch().ConfigureAwait(false);
        if (offset + destination.Length > pack.Length) throw new StoreObjectTruncatedException("cold tier", StoreObjectKind.Pack, name, pack.Length, offset + destination.Length);
        pack.AsSpan((int)offset, destination.Length).CopyTo(destination.Span);
        if (pack.Length <= MaxBytes) await AddAsync(name, path, pack, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Drops a pack (it was deleted or moved).</summary>
    public void Remove(string name)
    {
        if (_entries.TryRemove(name, out var entry))
        {
            Interlocked.Add(ref _bytes, -entry.Size);
            File.Delete(Path.Combine(_directory, name));
        }
    }

    private async Task AddAsync(string name, string path, byte[] pack, CancellationToken cancellationToken)
    {
        string temp = path + $".{Guid.NewGuid():N}.tmp";
        try
        {
            await File.WriteAllBytesAsync(temp, pack, cancellationToken).ConfigureAwait(false);
            File.Move(temp, path, overwrite: true);
        }
        catch (IOException)
        {
            File.Delete(temp);
            return; // a full cache disk costs speed, never a read
        }
        if (_entries.TryAdd(name, new Entry(pack.Length, DateTime.UtcNow.Ticks)))
            Interlocked.Add(ref _bytes, pack.Length);
        Evict();
    }

    private void Evict()
    {
        lock (_evictLock)
        {
            if (Interlocked.Read(ref _bytes) <= MaxBytes) return;
            foreach (var (name, _) in _entries.OrderBy(e => e.Value.LastUsed).ToList())
            {
                if (Interlocked.Read(ref _bytes) <= MaxBytes) break;
                Remove(name);
            }
        }
    }

    private sealed class Entry(long size, long lastUsed)
    {
        private long _lastUsed = lastUsed;
        public long Size { get; } = size;
        public long LastUsed => Interlocked.Read(ref _lastUsed);
        public void Touch() => Interlocked.Exchange(ref _lastUsed, DateTime.UtcNow.Ticks);
    }
}
