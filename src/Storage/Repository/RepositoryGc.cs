using System.Diagnostics;
using Bunker.Chunking;
using Bunker.Index;
using Bunker.Storage.Crypto;
using Bunker.Storage.Packs;
using Bunker.Storage.Stores;

namespace Bunker.Storage;

/// <summary>How a garbage collection runs.</summary>
public sealed record GcOptions
{
    /// <summary>Decide and report, change nothing.</summary>
    public bool DryRun { get; init; }
    /// <summary>A pack whose live share of bytes falls below this is rewritten (its live chunks copied into new packs); 0 never rewrites.</summary>
    public double RepackBelow { get; init; } = 0.5;
    /// <summary>How long a condemned pack stays in the store after its chunks left the index: readers that looked it up before may still read it.</summary>
    public TimeSpan Grace { get; init; } = TimeSpan.FromMinutes(15);
    /// <summary>The digests open backup sessions hold (uploaded or confirmed to them), asked once the collection's barrier is up.</summary>
    public Func<IEnumerable<ChunkDigest>>? OpenSessionChunks { get; init; }
}

/// <summary>What a collection found and did.</summary>
public sealed record GcReport
{
    public long Snapshots { get; init; }
    public long ChunksMarked { get; init; }
    public long ChunksPinned { get; init; }
    public long ChunksLive { get; init; }
    public long ChunksDead { get; init; }
    public long BytesDead { get; init; }
    /// <summary>Packs whose every chunk is dead, or that were rewritten: their chunks left the index and they go after the grace period.</summary>
    public int PacksCondemned { get; init; }
    public long BytesCondemned { get; init; }
    public int PacksRewritten { get; init; }
    public long BytesRewritten { get; init; }
    /// <summary>Packs partly dead: their dead chunks left the index, the pack stays.</summary>
    public int PacksTrimmed { get; init; }
    /// <summary>Condemned packs (of this or an earlier run) past their grace, deleted from the store.</summary>
    public int PacksDeleted { get; init; }
    public long BytesReclaimed { get; init; }
    public TimeSpan Elapsed { get; init; }
    public bool DryRun { get; init; }
    public IReadOnlyList<string> Problems { get; init; } = [];
}

/// <summary>
/// Garbage collection by mark and sweep, with no lock that backups or restores wait on (invariant 3). While a
/// collection runs, a barrier marks every chunk any writer confirms, stores, dedups against or appends; at its start it
/// marks every chunk open sessions hold; it then marks every chunk of every committed snapshot (data and index chunks),
/// scanning the catalog again until no new snapshot appears. A chunk is dead when nothing marked it. Marks live in the
/// index (RocksDB), not in memory, so memory stays flat however many chunks there are. Dead chunks leave the index in
/// batches; after each batch the marks are read again and any chunk marked in between is put back, so a writer that
/// raced the sweep keeps its chunk. A pack left with no live chunk, or rewritten because little of it lives, is
/// condemned and deleted only after <see cref="GcOptions.Grace"/>.
/// </summary>
public sealed partial class Repository
{
    private static ReadOnlySpan<byte> MarkPrefix => "gc/mark/"u8;
    private static ReadOnlySpan<byte> CondemnedPrefix => "gc/condemned/"u8;
    private readonly SemaphoreSlim _gcLock = new(1, 1);
    private volatile GcMarks? _marks;

    /// <summary>Marks <paramref name="digests"/> as referenced when a collection is running (the write barrier); nothing otherwise.</summary>
    internal void MarkReferenced(ReadOnlySpan<ChunkDigest> digests)
    {
        if (_marks is { } marks) marks.Mark(digests);
    }

    internal void MarkReferenced(in ChunkDigest digest)
    {
        if (_marks is { } marks) marks.Mark(new ReadOnlySpan<ChunkDigest>(in digest));
    }

    public async Task<GcReport> CollectGarbageAsync(GcOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new GcOptions();
        if (options.RepackBelow is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(options), "RepackBelow must be 0 to 1");
        await _gcLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        var problems = new List<string>();
        // A crashed collection's marks are worthless now.
        DeleteMetaPrefix(IntentScanPrefix(MarkPrefix));
        var marks = new GcMarks(this);
        var started = DateTimeOffset.UtcNow;
        _marks = marks;
        try
        {
            long pinned = 0;
            if (options.OpenSessionChunks is { } open)
            {
                foreach (var digest in open())
                {
                    marks.Mark(new ReadOnlySpan<ChunkDigest>(in digest));
                    pinned++;
                }
            }
            // Chunks in open packs become indexed, in packs newer than the start, which the sweep leaves alone.
            await FlushAsync(cancellationToken).ConfigureAwait(false);
            long snapshots = await MarkSnapshotsAsync(marks, problems, cancellationToken).ConfigureAwait(false);
            FaultPoints.Hit(FaultPoints.GcMarked);

            // Pass 1: per pack, live and dead bytes, from a merge of the chunk index with the marks (both in digest order).
            var packs = new Dictionary<PackId, PackTally>();
            long live = 0, dead = 0, deadBytes = 0;
            foreach (var (digest, location, marked) in IndexWithMarks())
            {
                if (!packs.TryGetValue(location.Pack, out var tally)) packs[location.Pack] = tally = new PackTally();
                if (marked)
                {
                    tally.LiveBytes += location.StoredLength;
                    live++;
                }
                else
                {
                    tally.DeadBytes += location.StoredLength;
                    tally.Dead++;
                    dead++;
                    deadBytes += location.StoredLength;
                }
            }

            int condemned = 0, rewritten = 0, trimmed = 0;
            long condemnedBytes = 0, rewrittenBytes = 0;
            foreach (var record in _index.Packs.Scan(Id).ToList())
            {
                cancellationToken.ThrowIfCancellationRequested();
                // Packs sealed since the start hold only chunks this collection's barrier saw.
                if (record.Created >= started) continue;
                var tally = packs.GetValueOrDefault(record.Id);
                if (IsCondemned(record.Id))
                {
                    // Condemned earlier. A crash between the condemnation and the removal of its entries may have left
                    // some in the index, and a writer since may have used one: then it lives again; else its entries go
                    // (again, if need be) and it waits for its grace.
                    if (tally is null) continue;
                    if (tally.LiveBytes > 0)
                    {
                        if (!options.DryRun) Uncondemn(record.Id);
                    }
                    else
                    {
                        if (!options.DryRun) await CondemnAsync(record, marks, cancellationToken).ConfigureAwait(false);
                        continue;
                    }
                }
                tally ??= new PackTally();
                double share = record.Size == 0 ? 0 : (double)tally.LiveBytes / Math.Max(1, tally.LiveBytes + tally.DeadBytes);
                bool empty = tally.LiveBytes == 0;
                bool rewrite = !empty && options.RepackBelow > 0 && share < options.RepackBelow;
                if (empty || rewrite)
                {
                    if (!options.DryRun)
                    {
                        if (rewrite) rewrittenBytes += await RewriteLiveChunksAsync(record, marks, cancellationToken).ConfigureAwait(false);
                        await CondemnAsync(record, marks, cancellationToken).ConfigureAwait(false);
                    }
                    if (rewrite) rewritten++;
                    condemned++;
                    condemnedBytes += record.Size;
                }
                else if (tally.Dead > 0)
                {
                    if (!options.DryRun) await TrimAsync(record, marks, cancellationToken).ConfigureAwait(false);
                    trimmed++;
                }
            }
            var (deleted, reclaimed) = options.DryRun ? (0, 0L) : await DeleteCondemnedAsync(options.Grace, problems, cancellationToken).ConfigureAwait(false);
            return new GcReport
            {
                Snapshots = snapshots, ChunksMarked = marks.Count, ChunksPinned = pinned, ChunksLive = live, ChunksDead = dead, BytesDead = deadBytes,
                PacksCondemned = condemned, BytesCondemned = condemnedBytes, PacksRewritten = rewritten, BytesRewritten = rewrittenBytes,
                PacksTrimmed = trimmed, PacksDeleted = deleted, BytesReclaimed = reclaimed, Elapsed = clock.Elapsed, DryRun = options.DryRun, Problems = problems,
            };
        }
        finally
        {
            _marks = null;
            marks.Flush();
            DeleteMetaPrefix(IntentScanPrefix(MarkPrefix));
            _gcLock.Release();
        }
    }

    /// <summary>Marks every chunk of every committed snapshot, scanning the catalog until a pass finds no snapshot it had not seen.</summary>
    private async Task<long> MarkSnapshotsAsync(GcMarks marks, List<string> problems, CancellationToken cancellationToken)
    {
        var seen = new HashSet<SnapshotId>();
        var batch = new ChunkDigest[4096];
        bool found;
        do
        {
            found = false;
            foreach (var snapshot in _index.Snapshots.List(Id).ToList())
            {
                if (!seen.Add(snapshot.Id)) continue;
                found = true;
                var manifest = await LoadManifestAsync(snapshot.Id, cancellationToken).ConfigureAwait(false);
                foreach (var archive in manifest.Archives)
                {
                    foreach (var indexChunk in archive.IndexChunks)
                        marks.Mark([new ChunkDigest(indexChunk.Span)]);
                    int n = 0;
                    try
                    {
                        await foreach (var entry in ReadArchiveAsync(archive, cancellationToken).ConfigureAwait(false))
                        {
                            if (entry.Digest.IsHole) continue;
                            batch[n++] = entry.Digest;
                            if (n == batch.Length)
                            {
                                marks.Mark(batch);
                                n = 0;
                            }
                        }
                    }
                    catch (Exception e) when (e is PackException or ChunkNotFoundException or InvalidDataException)
                    {
                        // An index that cannot be read marks nothing more, but its snapshot still protects what was marked.
                        problems.Add($"snapshot {snapshot.Id.ToShortString()} archive '{archive.Name}': {e.Message}");
                    }
                    marks.Mark(batch.AsSpan(0, n));
                }
            }
        } while (found);
        marks.Flush();
        return seen.Count;
    }

    /// <summary>The chunk index in digest order, each entry with whether it is marked (a merge with the mark keys).</summary>
    private IEnumerable<(ChunkDigest Digest, ChunkLocation Location, bool Marked)> IndexWithMarks()
    {
        byte[] prefix = IntentScanPrefix(MarkPrefix);
        using var markEnum = _index.Meta.ScanPrefix(prefix).GetEnumerator();
        bool hasMark = markEnum.MoveNext();
        foreach (var (digest, location) in _index.Chunks.Scan(Id))
        {
            bool marked = false;
            while (hasMark)
            {
                var markDigest = new ChunkDigest(markEnum.Current.Key.AsSpan(prefix.Length));
                int c = markDigest.CompareTo(digest);
                if (c > 0) break;
                if (c == 0) marked = true;
                hasMark = markEnum.MoveNext();
                if (marked) break;
            }
            yield return (digest, location, marked);
        }
    }

    /// <summary>Drops the dead chunks of a partly live pack from the index and records its live bytes.</summary>
    private async Task TrimAsync(PackRecord record, GcMarks marks, CancellationToken cancellationToken)
    {
        var table = await PackReader.ReadTableAsync(_store, record.Id, _cipher, cancellationToken).ConfigureAwait(false);
        var removed = DropUnmarked(table, marks, out long liveBytes);
        using (var batch = _index.CreateBatch())
        {
            batch.PutPack(Id, record with { LiveBytes = liveBytes });
            _index.Write(batch);
        }
        RestoreRaced(table.Pack, removed, marks);
    }

    /// <summary>
    /// Condemns a pack: records it (synced), then drops whatever of it the index still points at. What the barrier marked
    /// in between is put back, and the pack is then no longer condemned.
    /// </summary>
    private async Task CondemnAsync(PackRecord record, GcMarks marks, CancellationToken cancellationToken)
    {
        byte[] key = IntentKey(CondemnedPrefix, record.Id.ToArray());
        using (var batch = _index.CreateBatch())
        {
            batch.PutMeta(key, BitConverter.GetBytes(DateTimeOffset.UtcNow.UtcTicks));
            _index.Write(batch);
        }
        FaultPoints.Hit(FaultPoints.GcCondemned);
        var table = await PackReader.ReadTableAsync(_store, record.Id, _cipher, cancellationToken).ConfigureAwait(false);
        var removed = DropUnmarked(table, marks, out long liveBytes, dropAll: true);
        using (var batch = _index.CreateBatch())
        {
            batch.PutPack(Id, record with { LiveBytes = 0 });
            _index.Write(batch);
        }
        if (RestoreRaced(table.Pack, removed, marks) > 0)
        {
            using var batch = _index.CreateBatch();
            batch.DeleteMeta(key);
            batch.PutPack(Id, record with { LiveBytes = liveBytes });
            _index.Write(batch);
        }
    }

    /// <summary>
    /// Removes the index entries that point into <paramref name="table"/>'s pack and are unmarked (all of them, with
    /// <paramref name="dropAll"/>: the live ones were rewritten elsewhere and point away already). Returns them.
    /// </summary>
    private List<(ChunkDigest Digest, ChunkLocation Location)> DropUnmarked(PackTableContents table, GcMarks marks, out long liveBytes, bool dropAll = false)
    {
        marks.Flush();
        var removed = new List<(ChunkDigest, ChunkLocation)>();
        liveBytes = 0;
        using var batch = _index.CreateBatch();
        foreach (var entry in table.Entries)
        {
            if (!_index.Chunks.TryGet(Id, entry.Digest, out var location) || location.Pack != table.Pack || location.Offset != entry.Offset) continue;
            if (!dropAll && marks.IsMarked(entry.Digest))
            {
                liveBytes += entry.StoredLength;
                continue;
            }
            batch.DeleteChunk(Id, entry.Digest);
            removed.Add((entry.Digest, location));
            if (batch.Count >= 10_000)
            {
                _index.Write(batch);
                batch.Clear();
            }
        }
        _index.Write(batch);
        return removed;
    }

    /// <summary>Puts back any removed entry that a writer marked meanwhile; returns how many.</summary>
    private int RestoreRaced(PackId pack, List<(ChunkDigest Digest, ChunkLocation Location)> removed, GcMarks marks)
    {
        marks.Flush();
        int restored = 0;
        using var batch = _index.CreateBatch();
        foreach (var (digest, location) in removed)
        {
            if (!marks.IsMarked(digest) || _index.Chunks.TryGet(Id, digest, out _)) continue;
            batch.PutChunk(Id, digest, location);
            restored++;
        }
        if (restored > 0) _index.Write(batch);
        return restored;
    }

    /// <summary>Copies a pack's live chunks (indexed there and marked) into new packs, sealed and indexed before this returns; their bytes.</summary>
    private async Task<long> RewriteLiveChunksAsync(PackRecord record, GcMarks marks, CancellationToken cancellationToken)
    {
        byte[] bytes = await _store.ReadAllAsync(StoreObjectKind.Pack, record.Id.ToString(), cancellationToken).ConfigureAwait(false);
        var table = PackReader.ParseTable(record.Id, bytes, _cipher);
        long moved = 0;
        foreach (var entry in table.Entries)
        {
            if (!_index.Chunks.TryGet(Id, entry.Digest, out var location) || location.Pack != record.Id || location.Offset != entry.Offset) continue;
            if (!marks.IsMarked(entry.Digest)) continue;
            // Someone is storing it afresh: that copy will do.
            if (!_pending.TryAdd(entry.Digest, 0)) continue;
            try
            {
                var encoded = new byte[entry.StoredLength - ChunkCipher.Overhead];
                PackReader.OpenRecord(entry.Digest, record.Id, bytes.AsSpan((int)entry.Offset, (int)entry.StoredLength), _cipher, encoded);
                await AppendAsync(entry.Digest, encoded, entry.Codec, (int)entry.RawLength, cancellationToken).ConfigureAwait(false);
                moved += entry.StoredLength;
            }
            catch
            {
                _pending.TryRemove(entry.Digest, out _);
                throw;
            }
        }
        // Sealing repoints each copied chunk at its new pack, in the same batch that indexes the pack.
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        FaultPoints.Hit(FaultPoints.GcRewritten);
        return moved;
    }

    private bool IsCondemned(PackId pack) => _index.Meta.TryGet(IntentKey(CondemnedPrefix, pack.ToArray()), out _);

    private void Uncondemn(PackId pack)
    {
        using var batch = _index.CreateBatch();
        batch.DeleteMeta(IntentKey(CondemnedPrefix, pack.ToArray()));
        _index.Write(batch);
    }

    /// <summary>Deletes condemned packs whose grace is over: the store object first, then the pack record and the mark of condemnation.</summary>
    private async Task<(int Deleted, long Bytes)> DeleteCondemnedAsync(TimeSpan grace, List<string> problems, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        int deleted = 0;
        long bytes = 0;
        byte[] prefix = IntentScanPrefix(CondemnedPrefix);
        foreach (var (key, value) in _index.Meta.ScanPrefix(prefix).ToList())
        {
            var pack = new PackId(key.AsSpan(prefix.Length));
            var since = new DateTimeOffset(BitConverter.ToInt64(value), TimeSpan.Zero);
            if (now - since < grace) continue;
            try
            {
                long size = _index.Packs.TryGet(Id, pack, out var record) ? record.Size : 0;
                await _store.DeleteAsync(StoreObjectKind.Pack, pack.ToString(), cancellationToken).ConfigureAwait(false);
                FaultPoints.Hit(FaultPoints.GcPackDeleted);
                using var batch = _index.CreateBatch();
                batch.DeletePack(Id, pack);
                batch.DeleteMeta(key);
                _index.Write(batch);
                deleted++;
                bytes += size;
            }
            catch (Exception e) when (e is IOException && !cancellationToken.IsCancellationRequested)
            {
                problems.Add($"pack {pack}: not deleted yet: {e.Message}");
            }
        }
        return (deleted, bytes);
    }

    private sealed class PackTally
    {
        public long LiveBytes;
        public long DeadBytes;
        public int Dead;
    }

    /// <summary>One collection's marks: keys in the index's meta family, written in unsynced batches; thread-safe.</summary>
    private sealed class GcMarks(Repository repository)
    {
        private readonly Lock _lock = new();
        private IndexBatch _batch = repository._index.CreateBatch();
        private readonly byte[] _key = repository.IntentKey(MarkPrefix, new byte[ChunkDigest.Size]);
        private readonly byte[] _probe = repository.IntentKey(MarkPrefix, new byte[ChunkDigest.Size]);
        private long _count;

        public long Count => Interlocked.Read(ref _count);

        public void Mark(ReadOnlySpan<ChunkDigest> digests)
        {
            if (digests.IsEmpty) return;
            lock (_lock)
            {
                int at = _key.Length - ChunkDigest.Size;
                foreach (var digest in digests)
                {
                    digest.CopyTo(_key.AsSpan(at));
                    _batch.PutMeta(_key, []);
                }
                _count += digests.Length;
                if (_batch.Count >= 10_000) FlushLocked();
            }
        }

        public void Flush()
        {
            lock (_lock) FlushLocked();
        }

        public bool IsMarked(in ChunkDigest digest)
        {
            lock (_lock)
            {
                digest.CopyTo(_probe.AsSpan(_probe.Length - ChunkDigest.Size));
                return repository._index.Meta.TryGet(_probe, out _);
            }
        }

        private void FlushLocked()
        {
            if (_batch.Count == 0) return;
            repository._index.Write(_batch, sync: false);
            _batch.Dispose();
            _batch = repository._index.CreateBatch();
        }
    }
}
