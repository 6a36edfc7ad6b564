using Bunker.Client.Output;

namespace Bunker.Client.Files;

/// <summary>
/// Where a running file backup or restore stands: files and bytes done, and their totals (-1 while not known).
/// Written by the operation's threads; every member is safe to read from another thread, as a progress display does.
/// </summary>
public sealed class FileProgress
{
    private long _filesDone;
    private long _bytesDone;
    private long _filesTotal = -1;
    private long _bytesTotal = -1;

    /// <summary>
    /// Regular files done. A backup counts those read or carried over from the parent; a restore those written
    /// (content and metadata) or skipped as already there.
    /// </summary>
    public long FilesDone => Interlocked.Read(ref _filesDone);

    /// <summary>Their bytes: a file carried over, or found already in place, counts whole; a restore counts holes too.</summary>
    public long BytesDone => Interlocked.Read(ref _bytesDone);

    /// <summary>A backup learns it from a lightweight count of the tree beside it; a restore never does (its catalog is read as it goes).</summary>
    public long FilesTotal => Interlocked.Read(ref _filesTotal);

    /// <summary>A backup's count of the tree; a whole restore's payload size (a partial one's is not known in advance).</summary>
    public long BytesTotal => Interlocked.Read(ref _bytesTotal);

    public ProgressFigures Figures() => new(BytesDone, BytesTotal, FilesDone, FilesTotal);

    internal void AddBytes(long bytes) => Interlocked.Add(ref _bytesDone, bytes);
    internal void AddFile() => Interlocked.Increment(ref _filesDone);
    internal void SetBytesTotal(long bytes) => Interlocked.Exchange(ref _bytesTotal, bytes);

    /// <summary>Back to nothing done, for an operation that starts over (a backup whose parent proved damaged).</summary>
    internal void Restart()
    {
        Interlocked.Exchange(ref _filesDone, 0);
        Interlocked.Exchange(ref _bytesDone, 0);
    }

    internal void SetTotals(long files, long bytes)
    {
        Interlocked.Exchange(ref _bytesTotal, bytes);
        Interlocked.Exchange(ref _filesTotal, files);
    }
}
