using Bunker.Client.Output;

namespace Bunker.Client.Files.Backup;

/// <summary>
/// Where a running file backup stands; every member is safe to read from another thread. The totals are -1 until a
/// lightweight count of the tree, running beside the backup, has finished.
/// </summary>
public sealed class FileBackupProgress
{
    private long _filesDone;
    private long _bytesDone;
    private long _filesTotal = -1;
    private long _bytesTotal = -1;
    private string _currentPath = "";

    /// <summary>Regular files done, read or carried over from the parent.</summary>
    public long FilesDone => Interlocked.Read(ref _filesDone);
    /// <summary>Their bytes (a carried-over file counts whole).</summary>
    public long BytesDone => Interlocked.Read(ref _bytesDone);
    public long FilesTotal => Interlocked.Read(ref _filesTotal);
    public long BytesTotal => Interlocked.Read(ref _bytesTotal);
    public string CurrentPath => Volatile.Read(ref _currentPath);

    public ProgressFigures Figures() => new(BytesDone, BytesTotal, FilesDone, FilesTotal);

    internal void AddBytes(long bytes) => Interlocked.Add(ref _bytesDone, bytes);
    internal void FileDone() => Interlocked.Increment(ref _filesDone);
    internal void SetCurrent(string path) => Volatile.Write(ref _currentPath, path);

    internal void SetTotals(long files, long bytes)
    {
        Interlocked.Exchange(ref _bytesTotal, bytes);
        Interlocked.Exchange(ref _filesTotal, files);
    }
}
