using System.Collections.Concurrent;

namespace Bunker.Client.Files.Restore;

/// <summary>What every part of one restore shares: its counters, its warnings and its progress. Thread-safe.</summary>
internal sealed class RestoreContext(FileProgress progress)
{
    /// <summary>Warnings kept with their text; beyond this only a count, so a full disk cannot fill memory with them.</summary>
    public const int MaxWarningsKept = 100_000;

    private readonly ConcurrentQueue<FileWarning> _warnings = new();
    private readonly ConcurrentDictionary<string, bool> _warned = new(StringComparer.Ordinal);
    private long _warningCount;
    private long _files, _directories, _links, _special, _skipped, _bytesWritten, _chunks;

    public FileProgress Progress { get; } = progress;

    public void Warn(string path, string message)
    {
        if (Interlocked.Increment(ref _warningCount) > MaxWarningsKept) return;
        _warnings.Enqueue(new FileWarning(path, message));
        _warned.TryAdd(path, true);
    }

    /// <summary>Whether <paramref name="path"/> was warned about, so verification does not report it a second time.</summary>
    public bool WasWarned(string path) => _warned.ContainsKey(path);

    public void AddFile() => Interlocked.Increment(ref _files);
    public void AddDirectory() => Interlocked.Increment(ref _directories);
    public void AddLink() => Interlocked.Increment(ref _links);
    public void AddSpecial() => Interlocked.Increment(ref _special);
    public void AddSkipped() => Interlocked.Increment(ref _skipped);
    public void AddBytesWritten(long bytes) => Interlocked.Add(ref _bytesWritten, bytes);
    public void AddChunks(long chunks) => Interlocked.Add(ref _chunks, chunks);

    public FileRestoreResult Result()
    {
        var warnings = new List<FileWarning>(_warnings);
        long dropped = Interlocked.Read(ref _warningCount) - warnings.Count;
        if (dropped > 0) warnings.Add(new FileWarning("...", $"{dropped} more warnings were not kept"));
        return new FileRestoreResult(_files, _directories, _links, _special, _skipped, _bytesWritten, _chunks, warnings);
    }
}
