using Bunker.Chunking;
using Bunker.Client.Restore;
using Bunker.Client.Vm.Nbd;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;
using Google.Protobuf;

namespace Bunker.Client.Vm;

/// <summary>
/// A snapshot's disk as a read-only NBD export, for instant restore: chunks are fetched from bunkerd when a read
/// first needs them (each verified against its digest) and kept in a bounded LRU cache; holes read as zeros and are
/// reported as such in base:allocation, so a copy (qemu-img convert, a background restore) skips them.
/// </summary>
internal sealed class SnapshotDiskExport : INbdExport
{
    private const uint HoleAndZero = 3;
    private readonly Repository.RepositoryClient _client;
    private readonly string _repository;
    private readonly CallOptions _options;
    private readonly long[] _offsets;
    private readonly int[] _lengths;
    private readonly ChunkDigest[] _digests;
    private readonly ChunkCache _cache;

    private SnapshotDiskExport(Repository.RepositoryClient client, string repository, CallOptions options, long size,
        long[] offsets, int[] lengths, ChunkDigest[] digests, long cacheBytes)
    {
        _client = client;
        _repository = repository;
        _options = options;
        Size = size;
        _offsets = offsets;
        _lengths = lengths;
        _digests = digests;
        _cache = new ChunkCache(Math.Max(1, (int)(cacheBytes / VmSnapshots.ChunkSize)));
    }

    public long Size { get; }
    public long ChunksFetched => _cache.Fetched;

    public static async Task<SnapshotDiskExport> OpenAsync(Repository.RepositoryClient client, string repository, ByteString snapshotId, string disk, long size,
        long cacheBytes, CallOptions options, CancellationToken cancellationToken)
    {
        var offsets = new List<long>();
        var lengths = new List<int>();
        var digests = new List<ChunkDigest>();
        await foreach (var entry in VmSnapshots.ReadIndexAsync(client, repository, snapshotId, disk, size, options, cancellationToken).ConfigureAwait(false))
        {
            offsets.Add(entry.Offset);
            lengths.Add(entry.Length);
            digests.Add(entry.Digest);
        }
        return new SnapshotDiskExport(client, repository, options, size, [.. offsets], [.. lengths], [.. digests], cacheBytes);
    }

    public async ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        int entry = EntryAt(offset);
        while (!destination.IsEmpty)
        {
            int within = (int)(offset - _offsets[entry]);
            int take = Math.Min(destination.Length, _lengths[entry] - within);
            if (_digests[entry].IsHole)
            {
                destination.Span[..take].Clear();
            }
            else
            {
                // Not the reader's token: other reads may share this fetch; the serve lifetime (in the call options) ends it.
                int length = _lengths[entry];
                byte[] chunk = await _cache.GetAsync(_digests[entry], digest => FetchAsync(digest, length, CancellationToken.None)).WaitAsync(cancellationToken).ConfigureAwait(false);
                chunk.AsSpan(within, take).CopyTo(destination.Span);
            }
            destination = destination[take..];
            offset += take;
            entry++;
        }
    }

    public ValueTask<IReadOnlyList<NbdExtent>> AllocationAsync(long offset, long length, CancellationToken cancellationToken)
    {
        var extents = new List<NbdExtent>();
        long end = offset + length;
        for (int entry = EntryAt(offset); entry < _offsets.Length && _offsets[entry] < end; entry++)
        {
            long from = Math.Max(offset, _offsets[entry]);
            long to = Math.Min(end, _offsets[entry] + _lengths[entry]);
            uint flags = _digests[entry].IsHole ? HoleAndZero : 0;
            if (extents.Count > 0 && extents[^1].Flags == flags)
                extents[^1] = extents[^1] with { Length = extents[^1].Length + (to - from) };
            else
                extents.Add(new NbdExtent(from, to - from, flags));
        }
        return ValueTask.FromResult<IReadOnlyList<NbdExtent>>(extents);
    }

    /// <summary>The entry holding <paramref name="offset"/> (the server checks ranges against Size first).</summary>
    private int EntryAt(long offset)
    {
        int index = Array.BinarySearch(_offsets, offset);
        return index >= 0 ? index : ~index - 1;
    }

    private async Task<byte[]> FetchAsync(ChunkDigest digest, int length, CancellationToken cancellationToken)
    {
        var packed = new byte[ChunkDigest.Size];
        digest.CopyTo(packed);
        var expected = new HashSet<ChunkDigest> { digest };
        using var call = _client.ReadChunks(new ReadChunksRequest { Repository = _repository, Digests = UnsafeByteOperations.UnsafeWrap(packed) }, _options);
        if (!await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
            throw new InvalidDataException($"the server did not send chunk {digest}");
        var chunk = call.ResponseStream.Current;
        ChunkFetcher.Received(chunk, expected);
        if (chunk.RawLength != (uint)length)
            throw new InvalidDataException($"chunk {digest} is {chunk.RawLength} bytes; the disk's index says {length}");
        var raw = new byte[length];
        ChunkFetcher.Decode(chunk, digest, raw);
        return raw;
    }
}
