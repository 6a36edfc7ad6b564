using System.Buffers.Binary;
using Bunker.Chunking;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;
using Google.Protobuf;

namespace Bunker.Client.Restore;

/// <summary>
/// Orders a restore's chunks by where the server stores them (LocateChunks), so that the contiguous
/// ranges <see cref="ChunkFetcher"/> gives each stream cover whole packs, each read once and forward,
/// instead of every stream touching every pack.
/// </summary>
public static class ChunkLocator
{
    /// <summary>LocateChunks calls in flight at once for a long list.</summary>
    public const int ConcurrentRequests = 4;

    /// <summary>
    /// The distinct digests of <paramref name="digests"/>, sorted by the server's locality key (pack,
    /// then offset in the pack); chunks with equal keys keep the order of their first use. Asks in
    /// requests of at most <see cref="ChunkFetcher.MaxDigestsPerRequest"/> digests, up to <see cref="ConcurrentRequests"/> at once.
    /// </summary>
    /// <exception cref="RpcException">NOT_FOUND when the repository lacks a chunk; any other error of the call.</exception>
    /// <exception cref="InvalidDataException">The server answered with the wrong number of keys.</exception>
    public static async Task<ChunkDigest[]> OrderByLocalityAsync(Repository.RepositoryClient client, string repository, IReadOnlyList<ChunkDigest> digests,
        CallOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(digests);
        var distinct = Distinct(digests);
        // Either token stops the calls: the caller's options may carry a run's token already.
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(ct, options.CancellationToken);
        // A key with its digest's first-use position: sorting the pairs sorts by key, ties by first use.
        var order = new (ulong Key, int Position)[distinct.Length];
        int batches = (distinct.Length + ChunkFetcher.MaxDigestsPerRequest - 1) / ChunkFetcher.MaxDigestsPerRequest;
        // A few requests at once: the server's lookups then use more than one core. Each fills its own slice of order.
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = ConcurrentRequests, CancellationToken = cancellation.Token };
        await Parallel.ForEachAsync(Enumerable.Range(0, batches), parallel, async (batch, token) =>
        {
            int start = batch * ChunkFetcher.MaxDigestsPerRequest;
            int count = Math.Min(ChunkFetcher.MaxDigestsPerRequest, distinct.Length - start);
            var keys = await LocateAsync(client, repository, distinct.AsMemory(start, count), options.WithCancellationToken(token)).ConfigureAwait(false);
            for (int i = 0; i < count; i++)
                order[start + i] = (BinaryPrimitives.ReadUInt64LittleEndian(keys.Span.Slice(i * sizeof(ulong))), start + i);
        }).ConfigureAwait(false);
        Array.Sort(order);

        var sorted = new ChunkDigest[distinct.Length];
        for (int i = 0; i < sorted.Length; i++)
            sorted[i] = distinct[order[i].Position];
        return sorted;
    }

    /// <summary>Each digest once, in the order of its first appearance.</summary>
    private static ChunkDigest[] Distinct(IReadOnlyList<ChunkDigest> digests)
    {
        var seen = new HashSet<ChunkDigest>(digests.Count);
        var distinct = new List<ChunkDigest>(digests.Count);
        for (int i = 0; i < digests.Count; i++)
        {
            if (seen.Add(digests[i])) distinct.Add(digests[i]);
        }
        return [.. distinct];
    }

    /// <summary>One LocateChunks call: the packed 8-byte keys, checked to be one per digest.</summary>
    private static async Task<ReadOnlyMemory<byte>> LocateAsync(Repository.RepositoryClient client, string repository, ReadOnlyMemory<ChunkDigest> batch,
        CallOptions options)
    {
        var packed = new byte[batch.Length * ChunkDigest.Size];
        for (int i = 0; i < batch.Length; i++)
            batch.Span[i].CopyTo(packed.AsSpan(i * ChunkDigest.Size));
        var request = new LocateChunksRequest { Repository = repository, Digests = UnsafeByteOperations.UnsafeWrap(packed) };
        using var call = client.LocateChunksAsync(request, options);
        var response = await call.ResponseAsync.ConfigureAwait(false);
        if (response.Keys.Length != batch.Length * sizeof(ulong))
            throw new InvalidDataException($"LocateChunks answered {response.Keys.Length} bytes of keys for {batch.Length} digests; expected {batch.Length * sizeof(ulong)}");
        return response.Keys.Memory;
    }
}
