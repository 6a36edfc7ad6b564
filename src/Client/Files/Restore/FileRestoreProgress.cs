using Bunker.Client.Output;

namespace Bunker.Client.Files.Restore;

/// <summary>Where a restore stands; written by the restore's threads, read by a progress display.</summary>
public sealed class FileRestoreProgress
{
    private long _filesDone;
    private long _bytesDone;
    private long _filesTotal = -1;
    private long _bytesTotal = -1;

    /// <summary>Files finished: written (content and metadata) or skipped as already there.</summary>
    public long FilesDone => Interlocked.Read(ref _filesDone);

    /// <summary>Bytes of content restored, holes included, or found already in place.</summary>
    public long BytesDone => Interlocked.Read(ref _bytesDone);

    /// <summary>-1 while not known: the catalog is read as the restore goes.</summary>
    public long FilesTotal => Interlocked.Read(ref _filesTotal);

    /// <summary>The payload's size for a whole restore; -1 for a partial one (not known in advance).</summary>
    public long BytesTotal => Interlocked.Read(ref _bytesTotal);

    public ProgressFigures Figures() => new(BytesDone, BytesTotal, FilesDone, FilesTotal);

    internal void AddFile() => Interlocked.Increment(ref _filesDone);
    internal void AddBytes(long bytes) => Interlocked.Add(ref _bytesDone, bytes);
    internal void SetBytesTotal(long bytes) => Interlocked.Exchange(ref _bytesTotal, bytes);
}
