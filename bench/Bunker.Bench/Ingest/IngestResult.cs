namespace Bunker.Bench.Ingest;

/// <summary>
/// Time the workers spent in each step, summed over workers (thread-seconds): with N threads
/// the sum can exceed wall-clock time.
/// </summary>
internal sealed class WorkerTimes
{
    public long ReadAndChunkTicks;
    public long HashTicks;
    public long PutTicks;
    public long Chunks;
    public long NewChunks;
    public long NewBytes;

    public void Add(WorkerTimes other)
    {
        ReadAndChunkTicks += other.ReadAndChunkTicks;
        HashTicks += other.HashTicks;
        PutTicks += other.PutTicks;
        Chunks += other.Chunks;
        NewChunks += other.NewChunks;
        NewBytes += other.NewBytes;
    }
}

/// <summary>One backup of a tree into a Bunker repository, timed end to end (open to dispose).</summary>
internal sealed record IngestResult(int Threads, long InputBytes, TimeSpan Elapsed, TimeSpan CommitElapsed, WorkerTimes Workers, long RepositoryBytes)
{
    /// <summary>Input bytes per unique byte stored: 1.0 means nothing deduplicated.</summary>
    public double DedupRatio => Workers.NewBytes == 0 ? double.PositiveInfinity : InputBytes / (double)Workers.NewBytes;
}
