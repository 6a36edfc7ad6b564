using System.Buffers;
using System.Runtime.ExceptionServices;
using Bunker.Chunking;
using Bunker.Chunking.Compression;
using Bunker.Client.Wire;
using Bunker.Protocol;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;
using Google.Protobuf;

namespace Bunker.Client.Restore;

/// <summary>
/// Receives one chunk, decoded and verified against its digest. <paramref name="raw"/> is valid only
/// during the call. With several streams it is called concurrently, from several threads: it must be
/// thread-safe.
/// </summary>
public delegate void ChunkReceiver(in ChunkDigest digest, ReadOnlySpan<byte> raw);

/// <summary>What one <see cref="ChunkFetcher.FetchAsync"/> moved.</summary>
/// <param name="Chunks">Chunks received and verified.</param>
/// <param name="RawBytes">Their decoded size.</param>
/// <param name="EncodedBytes">Their size on the wire (as stored: zstd or raw).</param>
/// <param name="Streams">ReadChunks streams run at once.</param>
/// <param name="Channels">Channels (HTTP/2 connections) they were spread over.</param>
public sealed record ChunkFetchStatistics(long Chunks, long RawBytes, long EncodedBytes, int Streams, int Channels);

/// <summary>
/// Reads chunks for a restore over several concurrent ReadChunks streams. The digest list is split
/// into contiguous ranges, one per stream, so the order the caller chose (pack locality, or file
/// order) holds within each range. Every chunk is decompressed and its SHA-256 checked before the
/// receiver sees it.
/// </summary>
/// <remarks>
/// More than <see cref="StreamsPerChannel"/> streams are spread over several channels, each from
/// the factory, so that one TCP connection's window and one server connection thread do not cap
/// them all. The channels are opened per fetch and disposed at its end; they must accept messages
/// as large as the server's largest chunk (BunkerConnection's channels do).
/// </remarks>
public sealed class ChunkFetcher
{
    public const int StreamsPerChannel = 4;

    /// <summary>The server's limit on digests in one ReadChunks request.</summary>
    public const int MaxDigestsPerRequest = 65_536;

    /// <summary>A raw length above this is refused before anything is allocated for it: no chunker cuts larger chunks.</summary>
    public const int MaxChunkLength = FastCdcOptions.HighestMaxSize;

    private readonly Func<GrpcChannel> _openChannel;
    private readonly CallOptions _options;
    private readonly int _digestsPerRequest = MaxDigestsPerRequest;

    /// <param name="openChannel">Opens a new channel to the server (for example <c>BunkerConnection.OpenChannel</c>).</param>
    /// <param name="options">Options of every ReadChunks call: the token's header; a deadline, if any, is shared by the whole fetch.</param>
    public ChunkFetcher(Func<GrpcChannel> openChannel, CallOptions options)
    {
        ArgumentNullException.ThrowIfNull(openChannel);
        _openChannel = openChannel;
        _options = options;
    }

    /// <summary>Digests per ReadChunks request, 1 to <see cref="MaxDigestsPerRequest"/>; a range longer than this takes several requests in turn.</summary>
    public int DigestsPerRequest
    {
        get => _digestsPerRequest;
        init => _digestsPerRequest = value is >= 1 and <= MaxDigestsPerRequest
            ? value
            : throw new ArgumentOutOfRangeException(nameof(DigestsPerRequest), value, $"must be 1 to {MaxDigestsPerRequest}");
    }

    /// <summary>
    /// Fetches every digest of <paramref name="digests"/> from <paramref name="repository"/> over
    /// <paramref name="streams"/> concurrent streams and hands each chunk to <paramref name="receiver"/>.
    /// Within one request the server answers each distinct digest once; pass distinct digests to
    /// receive each chunk once. When one stream fails, the others are cancelled.
    /// </summary>
    /// <exception cref="InvalidDataException">A chunk did not decode, did not match its digest, was not asked for, or did not come.</exception>
    /// <exception cref="RpcException">The server refused a request (a chunk it lacks is NOT_FOUND) or the connection failed.</exception>
    public async Task<ChunkFetchStatistics> FetchAsync(string repository, IReadOnlyList<ChunkDigest> digests, int streams, ChunkReceiver receiver,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(digests);
        ArgumentNullException.ThrowIfNull(receiver);
        ArgumentOutOfRangeException.ThrowIfLessThan(streams, 1);
        streams = Math.Min(streams, Math.Max(1, digests.Count));
        int channelCount = (streams + StreamsPerChannel - 1) / StreamsPerChannel;
        var totals = new Totals();
        if (digests.Count == 0) return totals.ToStatistics(0, 0);

        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _options.CancellationToken);
        var channels = new List<GrpcChannel>(channelCount);
        try
        {
            for (int c = 0; c < channelCount; c++)
                channels.Add(_openChannel());
            var range = new Task[streams];
            Exception? first = null;
            for (int s = 0; s < streams; s++)
            {
                // Balanced contiguous ranges: the first (count % streams) get one digest more.
                int start = (int)((long)digests.Count * s / streams);
                int end = (int)((long)digests.Count * (s + 1) / streams);
                var client = new Repository.RepositoryClient(channels[s % channelCount]);
                range[s] = Task.Run(async () =>
                {
                    try
                    {
                        await FetchRangeAsync(client, repository, digests, start, end, receiver, totals, cancellation.Token).ConfigureAwait(false);
                    }
                    catch (Exception e)
                    {
                        // The first failure is the one to report; the others are mostly the cancellation it causes.
                        Interlocked.CompareExchange(ref first, e, null);
                        await cancellation.CancelAsync().ConfigureAwait(false);
                        throw;
                    }
                });
            }
            try
            {
                await Task.WhenAll(range).ConfigureAwait(false);
            }
            catch when (first is not null)
            {
                ExceptionDispatchInfo.Throw(first);
            }
        }
        finally
        {
            foreach (var channel in channels) channel.Dispose();
        }
        return totals.ToStatistics(streams, channelCount);
    }

    private async Task FetchRangeAsync(Repository.RepositoryClient client, string repository, IReadOnlyList<ChunkDigest> digests, int start, int end,
        ChunkReceiver receiver, Totals totals, CancellationToken cancellationToken)
    {
        var options = _options.WithCancellationToken(cancellationToken);
        var expected = new HashSet<ChunkDigest>(Math.Min(_digestsPerRequest, end - start));
        byte[]? raw = null;
        try
        {
            for (int at = start; at < end; at += _digestsPerRequest)
            {
                int count = Math.Min(_digestsPerRequest, end - at);
                var packed = new byte[count * ChunkDigest.Size];
                expected.Clear();
                for (int i = 0; i < count; i++)
                {
                    var digest = digests[at + i];
                    digest.CopyTo(packed.AsSpan(i * ChunkDigest.Size));
                    expected.Add(digest);
                }
                using var call = client.ReadChunks(new ReadChunksRequest { Repository = repository, Digests = UnsafeByteOperations.UnsafeWrap(packed) }, options);
                while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
                {
                    var chunk = call.ResponseStream.Current;
                    var digest = Received(chunk, expected);
                    int length = (int)chunk.RawLength;
                    if (chunk.Encoding == ChunkEncoding.None)
                    {
                        // Stored raw (incompressible): checked and handed over where it lies, one copy of the chunk fewer.
                        var stored = chunk.Data.Span;
                        if (stored.Length != length)
                            throw new InvalidDataException($"chunk {digest} is {stored.Length} bytes stored raw, but claims {length}");
                        Verify(stored, digest);
                        receiver(digest, stored);
                        totals.Add(length, stored.Length);
                        continue;
                    }
                    if (raw is null || raw.Length < length)
                    {
                        if (raw is not null) ChunkBuffers.Pool.Return(raw);
                        raw = ChunkBuffers.Pool.Rent(length);
                    }
                    var span = raw.AsSpan(0, length);
                    Decode(chunk, digest, span);
                    receiver(digest, span);
                    totals.Add(length, chunk.Data.Length);
                }
                if (expected.Count > 0)
                {
                    using var missing = expected.GetEnumerator();
                    missing.MoveNext();
                    throw new InvalidDataException(
                        $"the server answered {expected.Count} of {count} requested chunks not at all, chunk {missing.Current} among them");
                }
            }
        }
        finally
        {
            if (raw is not null) ChunkBuffers.Pool.Return(raw);
        }
    }

    /// <summary>The chunk's digest, after checking that it was asked for, has not come before, and has a sane length.</summary>
    internal static ChunkDigest Received(ChunkData chunk, HashSet<ChunkDigest> expected)
    {
        if (chunk.Digest.Length != ChunkDigest.Size)
            throw new InvalidDataException($"the server sent a chunk with a {chunk.Digest.Length}-byte digest");
        var digest = new ChunkDigest(chunk.Digest.Span);
        if (!expected.Remove(digest))
            throw new InvalidDataException($"the server sent chunk {digest}, which was not asked for or came twice");
        if (chunk.RawLength == 0 || chunk.RawLength > MaxChunkLength)
            throw new InvalidDataException($"chunk {digest} claims a raw length of {chunk.RawLength} bytes");
        return digest;
    }

    /// <summary>Decodes the chunk into <paramref name="raw"/> and checks it against its digest.</summary>
    internal static void Decode(ChunkData chunk, in ChunkDigest digest, Span<byte> raw)
    {
        if (!ChunkEncodings.TryFromWire(chunk.Encoding, out var codec))
            throw new InvalidDataException($"chunk {digest} arrived in unknown encoding {(int)chunk.Encoding}");
        try
        {
            ChunkCompressor.Decompress(codec, chunk.Data.Span, raw);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"chunk {digest} does not decode: {e.Message}", e);
        }
        Verify(raw, digest);
    }

    private static void Verify(ReadOnlySpan<byte> raw, in ChunkDigest digest)
    {
        var actual = ChunkDigest.Compute(raw);
        if (actual != digest)
            throw new InvalidDataException($"chunk {digest} failed verification: its {raw.Length} bytes hash to {actual}");
    }

    private sealed class Totals
    {
        private long _chunks;
        private long _rawBytes;
        private long _encodedBytes;

        public void Add(int rawBytes, int encodedBytes)
        {
            Interlocked.Increment(ref _chunks);
            Interlocked.Add(ref _rawBytes, rawBytes);
            Interlocked.Add(ref _encodedBytes, encodedBytes);
        }

        public ChunkFetchStatistics ToStatistics(int streams, int channels) =>
            new(Interlocked.Read(ref _chunks), Interlocked.Read(ref _rawBytes), Interlocked.Read(ref _encodedBytes), streams, channels);
    }
}
