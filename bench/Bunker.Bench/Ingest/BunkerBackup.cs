using System.Diagnostics;
using Bunker.Bench.Workloads;
using Bunker.Chunking;
using Bunker.Index;
using Bunker.Storage;
using Bunker.Storage.Crypto;
using Bunker.Storage.Stores;

namespace Bunker.Bench.Ingest;

/// <summary>
/// Backs a directory up the way bunkerd would once chunks arrive: each worker takes the next file,
/// cuts it with FastCDC, hashes each chunk (the client's part) and hands it to
/// Repository.PutAsync (the server's part: re-hash, dedup, zstd, AES-GCM, pack, store, index).
/// The archive is then written in file order and the snapshot committed.
/// </summary>
internal static class BunkerBackup
{
    /// <summary>Creates the repository under <paramref name="root"/> on first use, opens it afterwards.</summary>
    public static async Task<IngestResult> RunAsync(string root, SourceTree tree, int threads, MasterKey masterKey)
    {
        long start = Stopwatch.GetTimestamp();
        string storeRoot = Path.Combine(root, "store");
        var store = LocalDiskStore.Open(storeRoot);
        using var index = BunkerIndex.Open(new IndexOptions { Path = Path.Combine(root, "index") });
        bool exists = await store.GetSizeAsync(StoreObjectKind.Config, ObjectNames.ConfigName) is not null;
        var repository = exists
            ? await Repository.OpenAsync(store, index, masterKey)
            : await Repository.CreateAsync(store, index, masterKey);
        WorkerTimes times;
        TimeSpan commit;
        await using (repository)
        {
            var fileChunks = new List<(ChunkDigest Digest, int Length)>[tree.Files.Count];
            times = await PutAllAsync(repository, tree, threads, fileChunks);
            long commitStart = Stopwatch.GetTimestamp();
            await CommitAsync(repository, tree, fileChunks);
            commit = Stopwatch.GetElapsedTime(commitStart);
        }
        var elapsed = Stopwatch.GetElapsedTime(start);
        return new IngestResult(threads, tree.TotalBytes, elapsed, commit, times, TempDirectory.SizeOf(root));
    }

    private static async Task<WorkerTimes> PutAllAsync(Repository repository, SourceTree tree, int threads, List<(ChunkDigest, int)>[] fileChunks)
    {
        int next = -1;
        var workers = Enumerable.Range(0, threads).Select(_ => Task.Run(async () =>
        {
            var times = new WorkerTimes();
            var boundary = new FastCdcChunker();
            for (int f; (f = Interlocked.Increment(ref next)) < tree.Files.Count;)
                fileChunks[f] = await PutFileAsync(repository, tree.Files[f].FullName, boundary, times);
            return times;
        })).ToArray();
        var total = new WorkerTimes();
        foreach (var times in await Task.WhenAll(workers))
            total.Add(times);
        return total;
    }

    private static async Task<List<(ChunkDigest, int)>> PutFileAsync(Repository repository, string path, FastCdcChunker boundary, WorkerTimes times)
    {
        var chunks = new List<(ChunkDigest, int)>();
        // No FileStream buffer: the chunker reads MiBs at a time into its own buffer.
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
        using var chunker = new StreamChunker(stream, boundary);
        while (true)
        {
            long t0 = Stopwatch.GetTimestamp();
            bool more = chunker.MoveNext();
            long t1 = Stopwatch.GetTimestamp();
            times.ReadAndChunkTicks += t1 - t0;
            if (!more)
                return chunks;

            var chunk = chunker.Current;
            var digest = ChunkDigest.Compute(chunk.Span);
            long t2 = Stopwatch.GetTimestamp();
            bool stored = await repository.PutAsync(digest, chunk);
            times.HashTicks += t2 - t1;
            times.PutTicks += Stopwatch.GetTimestamp() - t2;

            times.Chunks++;
            if (stored)
            {
                times.NewChunks++;
                times.NewBytes += chunk.Length;
            }
            chunks.Add((digest, chunk.Length));
        }
    }

    private static async Task CommitAsync(Repository repository, SourceTree tree, List<(ChunkDigest Digest, int Length)>[] fileChunks)
    {
        var payload = repository.CreateArchive("payload");
        foreach (var chunks in fileChunks)
            foreach (var (digest, length) in chunks)
                await payload.AddAsync(digest, length);
        var draft = new SnapshotDraft("files", Environment.MachineName, tree.Root) { Paths = [tree.Root] };
        await repository.CommitSnapshotAsync(draft, [payload]);
    }
}
