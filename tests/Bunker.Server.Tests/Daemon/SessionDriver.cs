using System.Buffers.Binary;
using Bunker.Chunking;
using Bunker.Chunking.Compression;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;
using Google.Protobuf;

namespace Bunker.Server.Tests.Daemon;

/// <summary>A minimal backup-session client for the tests: offer, put what is missing, append, commit.</summary>
public sealed class SessionDriver : IAsyncDisposable
{
    private readonly AsyncDuplexStreamingCall<BackupRequest, BackupResponse> _call;
    private ulong _nextRequest;

    private SessionDriver(AsyncDuplexStreamingCall<BackupRequest, BackupResponse> call) => _call = call;

    public BackupStarted Started { get; private set; } = null!;
    public long Uploaded { get; private set; }
    public IClientStreamWriter<BackupRequest> Requests => _call.RequestStream;
    public IAsyncStreamReader<BackupResponse> Responses => _call.ResponseStream;

    public static async Task<SessionDriver> StartAsync(Repository.RepositoryClient client, CallOptions options, string repository,
        string host = "host-a", string sourceId = "/data", byte[]? parent = null, string sourceKind = "files", bool createOnce = false, params string[] tags)
    {
        var driver = new SessionDriver(client.Backup(options));
        var start = new BackupStart { Repository = repository, SourceKind = sourceKind, Host = host, SourceId = sourceId, CreateOnce = createOnce };
        start.Paths.Add(sourceId);
        start.Tags.AddRange(tags);
        if (parent is not null) start.ParentId = ByteString.CopyFrom(parent);
        await driver.Requests.WriteAsync(new BackupRequest { Start = start });
        driver.Started = (await driver.NextAsync()).Started ?? throw new InvalidOperationException("no 'started' answer");
        return driver;
    }

    public async Task<BackupResponse> NextAsync()
    {
        if (!await Responses.MoveNext(CancellationToken.None))
            throw new InvalidOperationException("the response stream ended");
        return Responses.Current;
    }

    /// <summary>Offers the digests; returns which are missing.</summary>
    public async Task<bool[]> OfferAsync(IReadOnlyList<ChunkDigest> digests)
    {
        var packed = new byte[digests.Count * 32];
        for (int i = 0; i < digests.Count; i++) digests[i].CopyTo(packed.AsSpan(i * 32));
        ulong id = ++_nextRequest;
        await Requests.WriteAsync(new BackupRequest { Offer = new OfferDigests { RequestId = id, Digests = ByteString.CopyFrom(packed) } });
        var result = (await NextAsync()).OfferResult ?? throw new InvalidOperationException("expected an offer result");
        if (result.RequestId != id) throw new InvalidOperationException("offer answered out of order");
        var missing = new bool[digests.Count];
        for (int i = 0; i < missing.Length; i++) missing[i] = (result.Missing[i >> 3] & (1 << (i & 7))) != 0;
        return missing;
    }

    public Task PutAsync(byte[] data, bool compress = true, ChunkDigest? claimed = null) =>
        Requests.WriteAsync(new BackupRequest { Put = new PutChunks { Chunks = { Encode(data, compress, claimed) } } });

    public static ChunkData Encode(byte[] data, bool compress = true, ChunkDigest? claimed = null)
    {
        var digest = claimed ?? ChunkDigest.Compute(data);
        var chunk = new ChunkData { Digest = ByteString.CopyFrom(digest.ToArray()), RawLength = (uint)data.Length };
        if (compress)
        {
            var compressor = new ChunkCompressor(3);
            var buffer = new byte[compressor.MaxStoredLength(data.Length)];
            var codec = compressor.Compress(data, buffer, out int written);
            chunk.Encoding = codec == ChunkCodec.Zstd ? ChunkEncoding.Zstd : ChunkEncoding.None;
            chunk.Data = ByteString.CopyFrom(buffer, 0, written);
        }
        else
        {
            chunk.Data = ByteString.CopyFrom(data);
        }
        return chunk;
    }

    public Task AppendAsync(string archive, IEnumerable<(ChunkDigest Digest, int Length)> entries)
    {
        using var buffer = new MemoryStream();
        Span<byte> entry = stackalloc byte[36];
        foreach (var (digest, length) in entries)
        {
            digest.CopyTo(entry);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[32..], (uint)length);
            buffer.Write(entry);
        }
        return Requests.WriteAsync(new BackupRequest { Append = new AppendArchive { Archive = archive, Entries = ByteString.CopyFrom(buffer.ToArray()) } });
    }

    /// <summary>Offers every chunk, puts the missing ones and appends them all to <paramref name="archive"/>.</summary>
    public async Task AddArchiveAsync(string archive, IReadOnlyList<byte[]> chunks)
    {
        var digests = new List<ChunkDigest>(chunks.Count);
        foreach (var chunk in chunks) digests.Add(ChunkDigest.Compute(chunk));
        var missing = await OfferAsync(digests);
        var seen = new HashSet<ChunkDigest>();
        for (int i = 0; i < chunks.Count; i++)
        {
            if (missing[i] && seen.Add(digests[i]))
            {
                await PutAsync(chunks[i]);
                Uploaded++;
            }
        }
        var entries = new List<(ChunkDigest, int)>();
        for (int i = 0; i < chunks.Count; i++) entries.Add((digests[i], chunks[i].Length));
        await AppendAsync(archive, entries);
    }

    public async Task<SnapshotInfo> CommitAsync(CommitSnapshot? commit = null)
    {
        await Requests.WriteAsync(new BackupRequest { Commit = commit ?? new CommitSnapshot() });
        var committed = (await NextAsync()).Committed ?? throw new InvalidOperationException("expected 'committed'");
        await Requests.CompleteAsync();
        Assert.False(await Responses.MoveNext(CancellationToken.None));
        return committed;
    }

    public ValueTask DisposeAsync()
    {
        _call.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Every snapshot of the repository, as ListSnapshots streams them.</summary>
    public static async Task<List<SnapshotInfo>> ListSnapshotsAsync(Repository.RepositoryClient client, CallOptions options, string repository)
    {
        var list = new List<SnapshotInfo>();
        using var call = client.ListSnapshots(new ListSnapshotsRequest { Repository = repository }, options);
        while (await call.ResponseStream.MoveNext(CancellationToken.None)) list.Add(call.ResponseStream.Current);
        return list;
    }

    /// <summary>Reads chunks back through ReadChunks and decodes them, keyed by digest.</summary>
    public static async Task<Dictionary<ChunkDigest, byte[]>> ReadBackAsync(Repository.RepositoryClient client, CallOptions options, string repository, IEnumerable<ChunkDigest> digests)
    {
        var list = digests.ToList();
        var packed = new byte[list.Count * 32];
        for (int i = 0; i < list.Count; i++) list[i].CopyTo(packed.AsSpan(i * 32));
        using var call = client.ReadChunks(new ReadChunksRequest { Repository = repository, Digests = ByteString.CopyFrom(packed) }, options);
        var result = new Dictionary<ChunkDigest, byte[]>();
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            var chunk = call.ResponseStream.Current;
            var raw = new byte[chunk.RawLength];
            ChunkCompressor.Decompress(chunk.Encoding == ChunkEncoding.Zstd ? ChunkCodec.Zstd : ChunkCodec.None, chunk.Data.Span, raw);
            var digest = new ChunkDigest(chunk.Digest.Span);
            Assert.Equal(digest, ChunkDigest.Compute(raw));
            Assert.True(result.TryAdd(digest, raw), "a digest was answered twice");
        }
        return result;
    }
}
