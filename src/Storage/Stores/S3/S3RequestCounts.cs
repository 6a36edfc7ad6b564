namespace Bunker.Storage.Stores.S3;

/// <summary>
/// What a bucket was asked, by kind of request, and the bytes that moved: the figures behind "requests per GB stored
/// and restored", which are what S3 bills. Thread-safe; read any time.
/// </summary>
public sealed class S3RequestCounts
{
    private long _puts, _parts, _gets, _heads, _lists, _deletes, _retries, _bytesUp, _bytesDown;

    public long Puts => Interlocked.Read(ref _puts);
    /// <summary>Multipart uploads' part PUTs, plus their create and complete calls.</summary>
    public long MultipartRequests => Interlocked.Read(ref _parts);
    public long Gets => Interlocked.Read(ref _gets);
    public long Heads => Interlocked.Read(ref _heads);
    public long Lists => Interlocked.Read(ref _lists);
    public long Deletes => Interlocked.Read(ref _deletes);
    /// <summary>Attempts that failed and were tried again.</summary>
    public long Retries => Interlocked.Read(ref _retries);
    public long BytesUploaded => Interlocked.Read(ref _bytesUp);
    public long BytesDownloaded => Interlocked.Read(ref _bytesDown);
    public long Total => Puts + MultipartRequests + Gets + Heads + Lists + Deletes;

    internal void Put(long bytes) { Interlocked.Increment(ref _puts); Interlocked.Add(ref _bytesUp, bytes); }
    internal void Part(long bytes) { Interlocked.Increment(ref _parts); Interlocked.Add(ref _bytesUp, bytes); }
    internal void Get(long bytes) { Interlocked.Increment(ref _gets); Interlocked.Add(ref _bytesDown, bytes); }
    internal void Head() => Interlocked.Increment(ref _heads);
    internal void List() => Interlocked.Increment(ref _lists);
    internal void Delete() => Interlocked.Increment(ref _deletes);
    internal void Retry() => Interlocked.Increment(ref _retries);
}
