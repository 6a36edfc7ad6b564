using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using Bunker.Chunking;
using Bunker.Index;
using Bunker.Storage.Buffers;
using Bunker.Storage.Crypto;
using Bunker.Storage.Packs;

namespace Bunker.Storage;

/// <summary>
/// A chunk as the repository stores it: its encoding (<see cref="ChunkCodec.Zstd"/> or raw),
/// decrypted and authenticated against its digest, but not decompressed. <see cref="Encoded"/>
/// points into a pooled buffer and is valid only during the call that receives it.
/// </summary>
public readonly record struct StoredChunk(ChunkDigest Digest, ChunkCodec Codec, int RawLength, ReadOnlyMemory<byte> Encoded);

public sealed partial class Repository
{
    /// <summary>
    /// Records of one pack closer than this are read together: on a disk or S3 one request costs
    /// more than reading 256 KiB more, so a restore of most of a pack reads it in one go.
    /// </summary>
    internal const int ReadCoalesceGap = 256 << 10;

    /// <summary>
    /// The most one coalesced read fetches (a single larger record is read alone). It is also the
    /// buffer a call holds, so it bounds a restore's memory whatever the pack size.
    /// </summary>
    internal const int ReadRangeLimit = 8 << 20;

    private const int LookupBatch = 4096;

    /// <summary>
    /// Reads the given chunks in pack order, each distinct digest once, and hands each to
    /// <paramref name="sink"/> in its stored encoding: the server sends it as stored and the client
    /// decompresses and hashes it. Records close together in one pack are fetched with one range
    /// read, and only one range buffer is held at a time.
    /// </summary>
    /// <remarks>
    /// Every digest is looked up before anything is read, so a digest this repository lacks throws
    /// <see cref="ChunkNotFoundException"/> before the sink sees a single chunk. Chunks still in open
    /// packs are flushed first, as <see cref="GetAsync"/> does. Memory grows with the number of
    /// digests (one location each), so a restore passes a window at a time, such as one index
    /// chunk's entries. A record that fails authentication is a <see cref="PackCorruptException"/>
    /// naming its pack and chunk. Nothing is hashed here: AES-GCM with the digest as associated data
    /// already binds the bytes to it, and hashing needs the raw bytes, which the receiver makes.
    /// </remarks>
    public async Task ReadStoredChunksAsync(IReadOnlyList<ChunkDigest> digests, Func<StoredChunk, ValueTask> sink, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(digests);
        ArgumentNullException.ThrowIfNull(sink);
        int requested = digests.Count;
        if (requested == 0)
            return;

        var wanted = ArrayPool<WantedChunk>.Shared.Rent(requested);
        byte[]? range = null, encoded = null;
        try
        {
            await LocateAsync(digests, requested, wanted, cancellationToken).ConfigureAwait(false);
            int count = SortAndDeduplicate(wanted.AsSpan(0, requested));

            for (int start = 0; start < count;)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int end = EndOfRange(wanted.AsSpan(0, count), start, out long rangeStart, out int rangeLength);
                var pack = wanted[start].Location.Pack;
                EnsureCapacity(ref range, rangeLength);
                await PackReader.ReadAsync(_store, pack, wanted[start].Digest, rangeStart, range.AsMemory(0, rangeLength), cancellationToken).ConfigureAwait(false);

                for (int i = start; i < end; i++)
                {
                    var digest = wanted[i].Digest;
                    var location = wanted[i].Location;
                    int encodedLength = (int)location.StoredLength - ChunkCipher.Overhead;
                    EnsureCapacity(ref encoded, encodedLength);
                    var record = range.AsSpan((int)(location.Offset - rangeStart), (int)location.StoredLength);
                    PackReader.OpenRecord(digest, pack, record, _cipher, encoded.AsSpan(0, encodedLength));
                    await sink(new StoredChunk(digest, location.Codec, (int)location.RawLength, encoded.AsMemory(0, encodedLength))).ConfigureAwait(false);
                }
                start = end;
            }
        }
        finally
        {
            ArrayPool<WantedChunk>.Shared.Return(wanted);
            if (range is not null)
                LargeBufferPool.Reads.Return(range);
            if (encoded is not null)
                LargeBufferPool.Reads.Return(encoded);
        }
    }

    /// <summary>
    /// Fills <paramref name="wanted"/> with every digest's location, in the caller's order, and
    /// checks each location's lengths. Throws for the first digest the repository does not hold.
    /// </summary>
    private async Task LocateAsync(IReadOnlyList<ChunkDigest> digests, int count, WantedChunk[] wanted, CancellationToken cancellationToken)
    {
        int batchSize = Math.Min(count, LookupBatch);
        var batchDigests = ArrayPool<ChunkDigest>.Shared.Rent(batchSize);
        var batchLocations = ArrayPool<ChunkLocation>.Shared.Rent(batchSize);
        var batchFound = ArrayPool<bool>.Shared.Rent(batchSize);
        List<int>? pending = null;
        try
        {
            for (int start = 0; start < count; start += LookupBatch)
            {
                int n = Math.Min(LookupBatch, count - start);
                for (int i = 0; i < n; i++)
                    batchDigests[i] = digests[start + i];
                _index.Chunks.MultiGet(Id, batchDigests.AsSpan(0, n), batchLocations.AsSpan(0, n), batchFound.AsSpan(0, n));
                for (int i = 0; i < n; i++)
                {
                    var digest = batchDigests[i];
                    var location = batchLocations[i];
                    if (!batchFound[i])
                    {
                        if (_pending.ContainsKey(digest))
                            (pending ??= []).Add(start + i);
                        // Sealing indexes a pack before it un-pends its chunks, so a chunk that was
                        // in neither place a moment ago is in the index now, or nowhere.
                        else if (!_index.Chunks.TryGet(Id, digest, out location))
                            throw new ChunkNotFoundException(Id, digest);
                    }
                    wanted[start + i] = new WantedChunk(digest, location);
                }
            }
        }
        finally
        {
            ArrayPool<ChunkDigest>.Shared.Return(batchDigests);
            ArrayPool<ChunkLocation>.Shared.Return(batchLocations);
            ArrayPool<bool>.Shared.Return(batchFound);
        }

        if (pending is not null)
        {
            await FlushAsync(cancellationToken).ConfigureAwait(false);
            foreach (int i in pending)
            {
                var digest = wanted[i].Digest;
                if (!_index.Chunks.TryGet(Id, digest, out var location))
                    throw new ChunkNotFoundException(Id, digest);
                wanted[i] = new WantedChunk(digest, location);
            }
        }
        // Before the sort, so that nothing is read, let alone delivered, for an index that is damaged.
        for (int i = 0; i < count; i++)
            PackReader.CheckLocation(wanted[i].Digest, wanted[i].Location);
    }

    /// <summary>Sorts by (pack, offset) and drops repeated digests; returns how many are left.</summary>
    private static int SortAndDeduplicate(Span<WantedChunk> wanted)
    {
        // The digest breaks ties, so repeats sit next to each other even if a damaged index put
        // two digests at one place.
        wanted.Sort(new PackOrder());
        int kept = 1;
        for (int i = 1; i < wanted.Length; i++)
        {
            if (wanted[i].Digest != wanted[kept - 1].Digest)
                wanted[kept++] = wanted[i];
        }
        return kept;
    }

    /// <summary>
    /// Grows a range from <paramref name="start"/> over the next records of the same pack while the
    /// gap before each is at most <see cref="ReadCoalesceGap"/> and the whole stays within
    /// <see cref="ReadRangeLimit"/>. Returns the end (exclusive) and the byte range to read.
    /// </summary>
    private static int EndOfRange(ReadOnlySpan<WantedChunk> sorted, int start, out long rangeStart, out int rangeLength)
    {
        var first = sorted[start].Location;
        rangeStart = first.Offset;
        long rangeEnd = first.Offset + (long)first.StoredLength;
        int end = start + 1;
        for (; end < sorted.Length; end++)
        {
            var next = sorted[end].Location;
            long nextEnd = Math.Max(rangeEnd, next.Offset + (long)next.StoredLength);
            if (next.Pack != first.Pack || next.Offset - rangeEnd > ReadCoalesceGap || nextEnd - rangeStart > ReadRangeLimit)
                break;
            rangeEnd = nextEnd;
        }
        rangeLength = (int)(rangeEnd - rangeStart);
        return end;
    }

    /// <summary>
    /// Keeps a pooled buffer when it is large enough, otherwise swaps it for one that is. The old
    /// one is let go before renting, so a failed rent never leaves it to be returned twice.
    /// </summary>
    private static void EnsureCapacity([NotNull] ref byte[]? buffer, int length)
    {
        if (buffer is not null && buffer.Length >= length)
            return;
        if (buffer is not null)
        {
            LargeBufferPool.Reads.Return(buffer);
            buffer = null;
        }
        buffer = LargeBufferPool.Reads.Rent(Math.Max(length, ReadRangeLimit));
    }

    private readonly record struct WantedChunk(ChunkDigest Digest, ChunkLocation Location);

    private readonly struct PackOrder : IComparer<WantedChunk>
    {
        public int Compare(WantedChunk x, WantedChunk y)
        {
            int c = x.Location.Pack.CompareTo(y.Location.Pack);
            if (c == 0)
                c = x.Location.Offset.CompareTo(y.Location.Offset);
            return c != 0 ? c : x.Digest.CompareTo(y.Digest);
        }
    }
}
