using Bunker.Bench.Measurement;
using Bunker.Bench.Workloads;
using Bunker.Chunking;
using Bunker.Chunking.Compression;
using Bunker.Index;
using Bunker.Storage.Crypto;
using Bunker.Storage.Packs;
using Bunker.Storage.Stores;

namespace Bunker.Bench.Stages;

/// <summary>
/// `stages [--size MiB]`: single-threaded throughput of each step of the write path on the same
/// in-memory sample, so that the end-to-end figure can be explained stage by stage.
/// </summary>
internal static class StagesCommand
{
    private const int IndexBatchSize = 1000;
    private const int IndexBatchesPerIteration = 200;

    public static int Run(Arguments args)
    {
        int sizeMiB = args.Int("--size", 256);
        Console.WriteLine($"stages: {sizeMiB} MiB sample (half /usr/share/dotnet/shared DLLs, half pseudo-random), single thread, " +
                          $"{Sampler.DefaultWarmups} warm-up + median of {Sampler.DefaultIterations}; zstd {ChunkCompressor.NativeVersion}");
        var sample = ChunkedSample.Create(MixedSample.Create(sizeMiB));
        long input = sample.Data.Length;
        Console.WriteLine($"FastCDC: {sample.Chunks.Count} chunks, mean {sample.MeanChunkLength / 1024:F0} KiB; " +
                          $"zstd-3 output {Units.Megabytes(sample.EncodedBytes)} MB of {Units.Megabytes(input)} MB");

        using var keys = new BenchKeys();
        var results = new List<StageResult>
        {
            Chunking(sample),
            Hashing(sample),
            Compression(sample),
            Decompression(sample),
            Sealing(sample, keys.Cipher),
            PackWriting(sample, keys, out var packs),
            StorePuts(packs, input),
            IndexCommit(sample, keys.Repository),
        };
        Print(results, input);
        return 0;
    }

    private static StageResult Chunking(ChunkedSample sample)
    {
        var chunker = new FastCdcChunker();
        var time = Sampler.Median(() => ChunkedSample.Cut(sample.Data, chunker));
        return new StageResult("FastCDC chunking", sample.Data.Length, sample.Data.Length, time);
    }

    private static StageResult Hashing(ChunkedSample sample)
    {
        var time = Sampler.Median(() =>
        {
            for (int i = 0; i < sample.Chunks.Count; i++)
                ChunkDigest.Compute(sample.Chunk(i));
        });
        return new StageResult("SHA-256", sample.Data.Length, sample.Data.Length, time);
    }

    private static StageResult Compression(ChunkedSample sample)
    {
        var compressor = new ChunkCompressor(ChunkCompressor.DefaultLevel);
        var destination = new byte[compressor.MaxStoredLength(sample.MaxChunkLength)];
        var time = Sampler.Median(() =>
        {
            for (int i = 0; i < sample.Chunks.Count; i++)
                compressor.Compress(sample.Chunk(i), destination, out _);
        });
        return new StageResult("zstd-3 compress", sample.Data.Length, sample.Data.Length, time,
            $"ratio {sample.Data.Length / (double)sample.EncodedBytes:F2}");
    }

    private static StageResult Decompression(ChunkedSample sample)
    {
        var raw = new byte[sample.MaxChunkLength];
        var time = Sampler.Median(() =>
        {
            for (int i = 0; i < sample.Chunks.Count; i++)
                ChunkCompressor.Decompress(sample.Codecs[i], sample.Encoded[i], raw.AsSpan(0, sample.Chunk(i).Length));
        });
        return new StageResult("zstd decompress", sample.EncodedBytes, sample.Data.Length, time, "output rate in 'MB/s of input'");
    }

    private static StageResult Sealing(ChunkedSample sample, ChunkCipher cipher)
    {
        var record = new byte[ChunkCipher.SealedLength(sample.MaxChunkLength)];
        var time = Sampler.Median(() =>
        {
            for (int i = 0; i < sample.Chunks.Count; i++)
                cipher.SealChunk(sample.Chunk(i), sample.Digests[i], record);
        });
        return new StageResult("AES-256-GCM seal", sample.Data.Length, sample.Data.Length, time, "raw chunks");
    }

    /// <summary>Adds the encoded chunks to 32 MiB packs and seals them (AES-GCM per record, table, SHA-256 of the pack).</summary>
    private static StageResult PackWriting(ChunkedSample sample, BenchKeys keys, out List<byte[]> packs)
    {
        var writer = new PackWriter(keys.Repository, keys.Cipher);
        var sealedPacks = new List<byte[]>();
        var time = Sampler.Median(() =>
        {
            sealedPacks.Clear();
            for (int i = 0; i < sample.Chunks.Count; i++)
            {
                if (!writer.IsEmpty && !writer.Fits(sample.Encoded[i].Length))
                    sealedPacks.Add(SealCopy(writer));
                writer.Add(sample.Digests[i], sample.Encoded[i], sample.Codecs[i], sample.Chunk(i).Length);
                if (writer.IsFull)
                    sealedPacks.Add(SealCopy(writer));
            }
            if (!writer.IsEmpty)
                sealedPacks.Add(SealCopy(writer));
        });
        packs = sealedPacks;
        return new StageResult("pack write (add+seal)", sample.EncodedBytes, sample.Data.Length, time,
            $"{packs.Count} packs of encoded chunks; includes one copy out");
    }

    private static byte[] SealCopy(PackWriter writer)
    {
        var bytes = writer.Seal(DateTimeOffset.UtcNow).Bytes.ToArray();
        writer.Reset();
        return bytes;
    }

    /// <summary>LocalDiskStore.PutAsync of the sealed packs: tmp write, fsync, rename, directory fsync.</summary>
    private static StageResult StorePuts(List<byte[]> packs, long input)
    {
        using var temp = new TempDirectory("store");
        var store = LocalDiskStore.Open(temp.Path);
        long number = 0;
        var time = Sampler.Median(() =>
        {
            foreach (var pack in packs)
                // Synchronous on purpose: the stage is timed on one thread, like the others.
                store.PutAsync(StoreObjectKind.Pack, SyntheticDigests.Get(number++).ToString(), pack).GetAwaiter().GetResult();
        });
        return new StageResult("store put (fsync)", packs.Sum(p => (long)p.Length), input, time, "LocalDiskStore");
    }

    /// <summary>Synced WriteBatches of chunk entries, as sealing a pack commits them.</summary>
    private static StageResult IndexCommit(ChunkedSample sample, RepositoryId repository)
    {
        using var temp = new TempDirectory("index");
        using var index = BunkerIndex.Open(new IndexOptions { Path = temp.Path });
        long number = 0;
        const int entries = IndexBatchSize * IndexBatchesPerIteration;
        var time = Sampler.Median(() =>
        {
            for (int b = 0; b < IndexBatchesPerIteration; b++)
            {
                using var batch = index.CreateBatch();
                for (int i = 0; i < IndexBatchSize; i++, number++)
                    batch.PutChunk(repository, SyntheticDigests.Get(number), SyntheticDigests.Location(number));
                index.Write(batch, sync: true);
            }
        });
        long equivalent = (long)(entries * sample.MeanChunkLength);
        return new StageResult("index commit", equivalent, equivalent, time,
            $"{entries / time.TotalSeconds:F0} entries/s, batches of {IndexBatchSize} synced; MB/s at the mean chunk size");
    }

    private static void Print(List<StageResult> results, long input)
    {
        var table = new TextTable("stage", "processed MB", "median s", "MB/s", "MB/s of input", "note");
        foreach (var r in results)
            table.Add(r.Name, Units.Megabytes(r.ProcessedBytes), Units.Seconds(r.Median),
                Units.Rate(r.ProcessedBytes, r.Median), Units.Rate(r.InputBytes, r.Median), r.Note);
        Console.WriteLine();
        Console.Write(table);

        // The write path runs, per byte of input: chunking, SHA-256 twice (client, then the
        // server's recomputation), compress, pack write (which seals), store put and the index.
        string[] writePath = ["FastCDC chunking", "SHA-256", "SHA-256", "zstd-3 compress", "pack write (add+seal)", "store put (fsync)", "index commit"];
        double secondsPerByte = 0;
        foreach (var name in writePath)
        {
            var stage = results.Single(r => r.Name == name);
            secondsPerByte += stage.Median.TotalSeconds / stage.InputBytes;
        }
        Console.WriteLine($"\nserial write path (chunk + 2x SHA-256 + zstd + pack + store + index): {1 / secondsPerByte / Units.Mega:F1} MB/s of input, single thread");
    }
}
