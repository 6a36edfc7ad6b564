using System.Buffers;
using System.Collections.Concurrent;
using Bunker.Chunking;
using Bunker.Chunking.Compression;
using Bunker.Index;
using Bunker.Storage.Crypto;
using Bunker.Storage.Packs;
using Bunker.Storage.Stores;

namespace Bunker.Storage;

/// <summary>
/// One repository: its store, its slice of the shared index, and its data key. Puts chunks into
/// packs (dedup against the index and against chunks still in open packs), seals packs into the
/// store before indexing them, commits snapshots only when every referenced chunk is durable and
/// indexed, and can rebuild its index from the store alone. Thread-safe.
/// </summary>
public sealed partial class Repository : IAsyncDisposable
{
    private readonly IPackStore _store;
    private readonly BunkerIndex _index;
    private readonly DataKey _dataKey;
    private readonly ChunkCipher _cipher;
    private readonly ChunkCompressor _compressor;
    private readonly RepositoryOptions _options;
    private readonly WriterSlot[] _slots;

    // Chunks accepted into open (unsealed or not yet indexed) packs. Bounded by the open packs'
    // size, never by the repository's: it is what lets concurrent writers store a chunk once.
    private readonly ConcurrentDictionary<ChunkDigest, byte> _pending = new();
    private int _nextSlot;
    // Bumped whenever a pack write fails and its chunks are dropped, so that a commit which may
    // have counted on one of them refuses rather than trusting a stale "present".
    private int _lostPackEpoch;

    /// <summary>Counts pack writes that failed; chunks counted as present may have been lost with them.</summary>
    internal int LostPackEpoch => Volatile.Read(ref _lostPackEpoch);
    // Packs taken out of their slot and being sealed, stored and indexed outside any slot lock.
    // A flush waits for them: their chunks are promised durable as soon as it returns.
    private readonly HashSet<Task> _sealing = [];
    private int _disposed;

    private Repository(IPackStore store, BunkerIndex index, RepositoryConfig config, DataKey dataKey, RepositoryOptions options)
    {
        _store = store;
        _index = index;
        Config = config;
        _dataKey = dataKey;
        _options = options;
        _cipher = new ChunkCipher(dataKey, config.Id);
        _compressor = new ChunkCompressor(options.CompressionLevel);
        _slots = new WriterSlot[options.Writers];
        for (int i = 0; i < _slots.Length; i++)
            _slots[i] = new WriterSlot(NewWriter());
        // A store of several members reads a pack from the one the pack table names.
        if (store is IPlacedStore placed)
            placed.UsePlacement(name => PackLocation(name));
    }

    /// <summary>Where the pack table says pack <paramref name="name"/> is (a store's or a member's name), or null.</summary>
    public string? PackLocation(string name) =>
        ObjectNames.IsValid(StoreObjectKind.Pack, name) && _index.Packs.TryGet(Id, PackId.Parse(name), out var record) ? record.Location : null;

    /// <summary>
    /// Records that a pack now lives at <paramref name="location"/> (a reconciliation or a tier move put it there and
    /// checked it); the old copy may be removed once this returns. Synced, so a crash never loses the move.
    /// </summary>
    public bool SetPackLocation(PackId pack, string location)
    {
        if (!_index.Packs.TryGet(Id, pack, out var record)) return false;
        using var batch = _index.CreateBatch();
        batch.PutPack(Id, record with { Location = location });
        _index.Write(batch);
        return true;
    }

    public RepositoryId Id => Config.Id;
    public RepositoryConfig Config { get; }
    public IPackStore Store => _store;
    public BunkerIndex Index => _index;
    internal ChunkCipher Cipher => _cipher;

    /// <summary>What opening the repository found unfinished from a previous run, and how it settled it.</summary>
    public RecoveryReport Recovery { get; private set; } = RecoveryReport.Empty;

    /// <summary>Initialises a new repository in an empty store: writes its config with a fresh wrapped data key.</summary>
    /// <param name="id">The new repository's id (a store laid out by id needs it before the repository exists); a fresh one when null.</param>
    public static async Task<Repository> CreateAsync(IPackStore store, BunkerIndex index, MasterKey masterKey, RepositoryOptions? options = null, CancellationToken cancellationToken = default,
        RepositoryId? id = null)
    {
        options ??= new RepositoryOptions();
        options.Validate();
        if (await store.GetSizeAsync(StoreObjectKind.Config, ObjectNames.ConfigName, cancellationToken).ConfigureAwait(false) is not null)
            throw new RepositoryStateException($"store '{store.Name}' already holds a repository; open it instead");
        var repositoryId = id ?? RepositoryId.New();
        var (dataKey, envelope) = RepositoryKeys.Create(masterKey, repositoryId);
        var config = new RepositoryConfig(RepositoryConfig.CurrentVersion, repositoryId, DateTimeOffset.UtcNow, envelope);
        await store.PutAsync(StoreObjectKind.Config, ObjectNames.ConfigName, config.ToJson(), cancellationToken).ConfigureAwait(false);
        return new Repository(store, index, config, dataKey, options);
    }

    /// <summary>
    /// Opens an existing repository, unwrapping its data key with the master key, and settles
    /// whatever a crash left half done (see <see cref="Recovery"/>).
    /// </summary>
    public static async Task<Repository> OpenAsync(IPackStore store, BunkerIndex index, MasterKey masterKey, RepositoryOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new RepositoryOptions();
        options.Validate();
        var config = await ReadConfigAsync(store, cancellationToken).ConfigureAwait(false);
        var dataKey = RepositoryKeys.Open(masterKey, config.Keys, config.Id);
        var repository = new Repository(store, index, config, dataKey, options);
        try
        {
            repository.Recovery = await repository.RecoverAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await repository.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return repository;
    }

    internal static async Task<RepositoryConfig> ReadConfigAsync(IPackStore store, CancellationToken cancellationToken)
    {
        byte[] json;
        try
        {
            json = await store.ReadAllAsync(StoreObjectKind.Config, ObjectNames.ConfigName, cancellationToken).ConfigureAwait(false);
        }
        catch (StoreObjectNotFoundException)
        {
            throw new RepositoryStateException($"store '{store.Name}' holds no repository (no config object)");
        }
        return RepositoryConfig.FromJson(json);
    }

    /// <summary>
    /// Stores a chunk from its raw bytes. The digest is recomputed and must match (the caller is
    /// never trusted). Returns false when the repository already had the chunk. The chunk is
    /// durable once a later <see cref="FlushAsync"/> or snapshot commit returns.
    /// </summary>
    public async ValueTask<bool> PutAsync(ChunkDigest digest, ReadOnlyMemory<byte> raw, CancellationToken cancellationToken = default)
    {
        CheckChunkLength(raw.Length);
        var actual = ChunkDigest.Compute(raw.Span);
        if (actual != digest)
            throw new ChunkDigestMismatchException(digest, actual);
        MarkReferenced(digest);
        if (!Reserve(digest))
            return false;

        byte[] encoded = ArrayPool<byte>.Shared.Rent(_compressor.MaxStoredLength(raw.Length));
        try
        {
            var codec = _compressor.Compress(raw.Span, encoded, out int written);
            await AppendAsync(digest, encoded.AsMemory(0, written), codec, raw.Length, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch
        {
            _pending.TryRemove(digest, out _);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(encoded);
        }
    }

    /// <summary>
    /// Stores a chunk that the client already encoded (zstd or raw). It is decoded and hashed
    /// first, so a wrong digest or undecodable data is refused and nothing is stored; the client's
    /// encoding is then kept as is, which saves compressing it again.
    /// </summary>
    public async ValueTask<bool> PutEncodedAsync(ChunkDigest digest, ReadOnlyMemory<byte> encoded, ChunkCodec codec, int rawLength, CancellationToken cancellationToken = default)
    {
        CheckChunkLength(rawLength);
        if (encoded.Length > PackFormat.MaxChunkSize)
            throw new InvalidDataException($"an encoded chunk may hold at most {PackFormat.MaxChunkSize} bytes, got {encoded.Length}");
        // A chunk stored raw is hashed where it lies; only a compressed one is decoded into scratch.
        var actual = codec == ChunkCodec.None && encoded.Length == rawLength
            ? ChunkDigest.Compute(encoded.Span)
            : DecodedDigest(codec, encoded.Span, rawLength);
        if (actual != digest)
            throw new ChunkDigestMismatchException(digest, actual);
        MarkReferenced(digest);
        if (!Reserve(digest))
            return false;
        try
        {
            await AppendAsync(digest, encoded, codec, rawLength, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch
        {
            _pending.TryRemove(digest, out _);
            throw;
        }
    }

    /// <summary>Decodes a chunk into pooled scratch and hashes it; <see cref="InvalidDataException"/> when it does not decode.</summary>
    private static ChunkDigest DecodedDigest(ChunkCodec codec, ReadOnlySpan<byte> encoded, int rawLength)
    {
        byte[] raw = ArrayPool<byte>.Shared.Rent(Math.Max(rawLength, 1));
        try
        {
            ChunkCompressor.Decompress(codec, encoded, raw.AsSpan(0, rawLength));
            return ChunkDigest.Compute(raw.AsSpan(0, rawLength));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(raw);
        }
    }

    /// <summary>
    /// Says which digests the repository holds, counting chunks still in open packs (they become
    /// durable before any commit that needs them, or that commit is refused).
    /// </summary>
    public int Has(ReadOnlySpan<ChunkDigest> digests, Span<bool> present)
    {
        if (present.Length < digests.Length)
            throw new ArgumentException("the result span is shorter than the digest list", nameof(present));
        // Open packs first, the index second. A sealed pack is indexed before its chunks leave
        // _pending, so a chunk not pending when we look has either been indexed already or is
        // absent; the other order can miss a chunk that moves from one to the other in between.
        bool[] pending = ArrayPool<bool>.Shared.Rent(digests.Length);
        try
        {
            for (int i = 0; i < digests.Length; i++)
                pending[i] = _pending.ContainsKey(digests[i]);
            _index.Chunks.CountPresent(Id, digests, present);
            int count = 0;
            for (int i = 0; i < digests.Length; i++)
            {
                present[i] |= pending[i];
                if (present[i]) count++;
            }
            // A collection running now must not sweep what a writer was just told is there.
            if (_marks is not null && count > 0) MarkPresent(digests, present);
            return count;
        }
        finally
        {
            ArrayPool<bool>.Shared.Return(pending);
        }
    }

    private void MarkPresent(ReadOnlySpan<ChunkDigest> digests, ReadOnlySpan<bool> present)
    {
        var found = ArrayPool<ChunkDigest>.Shared.Rent(digests.Length);
        try
        {
            int n = 0;
            for (int i = 0; i < digests.Length; i++)
                if (present[i]) found[n++] = digests[i];
            MarkReferenced(found.AsSpan(0, n));
        }
        finally
        {
            ArrayPool<ChunkDigest>.Shared.Return(found);
        }
    }

    /// <summary>Where an indexed chunk lives, or false when the index has no such chunk.</summary>
    public bool TryLocate(in ChunkDigest digest, out ChunkLocation location) => _index.Chunks.TryGet(Id, digest, out location);

    /// <summary>Reads a chunk's raw bytes, authenticated and hashed back to its digest.</summary>
    public async Task<byte[]> GetAsync(ChunkDigest digest, CancellationToken cancellationToken = default)
    {
        if (!_index.Chunks.TryGet(Id, digest, out var location))
        {
            // Pending means in an open pack: flush it. Not pending may also mean indexed since
            // the first look (see Has), so the index is asked again either way.
            if (_pending.ContainsKey(digest))
                await FlushAsync(cancellationToken).ConfigureAwait(false);
            if (!_index.Chunks.TryGet(Id, digest, out location))
                throw new ChunkNotFoundException(Id, digest);
        }
        return await PackReader.ReadChunkAsync(_store, digest, location, _cipher, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Seals every open pack into the store and indexes it. After this, every accepted chunk is durable.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        foreach (var slot in _slots)
        {
            await slot.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (!slot.Writer.IsEmpty)
                    _ = StartSealing(slot);
            }
            finally
            {
                slot.Lock.Release();
            }
        }
        Task[] sealing;
        lock (_sealing)
            sealing = [.. _sealing];
        try
        {
            await Task.WhenAll(sealing).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            var failures = new List<Exception>();
            foreach (var task in sealing)
            {
                if (task.Exception is { } e)
                    failures.AddRange(e.InnerExceptions);
            }
            throw failures.Count == 1 ? failures[0] : new AggregateException("several packs could not be written", failures);
        }
    }

    private static void CheckChunkLength(int rawLength)
    {
        if (rawLength <= 0 || rawLength > PackFormat.MaxChunkSize)
            throw new InvalidDataException($"a chunk must hold 1 to {PackFormat.MaxChunkSize} bytes, got {rawLength}");
    }

    /// <summary>Claims a digest for this caller to store; false when it is already stored or being stored.</summary>
    private bool Reserve(in ChunkDigest digest)
    {
        if (_index.Chunks.TryGet(Id, digest, out _))
            return false;
        if (!_pending.TryAdd(digest, 0))
            return false;
        // Another writer may have indexed it between our look-up and our claim: it indexes before
        // it un-pends, so looking again after claiming closes that window.
        if (_index.Chunks.TryGet(Id, digest, out _))
        {
            _pending.TryRemove(digest, out _);
            return false;
        }
        return true;
    }

    private async Task AppendAsync(ChunkDigest digest, ReadOnlyMemory<byte> encoded, ChunkCodec codec, int rawLength, CancellationToken cancellationToken)
    {
        Task? overflowed = null, filled = null;
        var slot = await AcquireSlotAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!slot.Writer.IsEmpty && !slot.Writer.Fits(encoded.Length))
                overflowed = StartSealing(slot);
            slot.Writer.Add(digest, encoded.Span, codec, rawLength);
            if (slot.Writer.IsFull)
                filled = StartSealing(slot);
        }
        finally
        {
            slot.Lock.Release();
        }
        // The caller that filled a pack waits for it outside the slot lock: other puts keep using
        // the slot meanwhile, and the wait is the back-pressure that bounds packs in flight.
        if (overflowed is not null)
            await overflowed.ConfigureAwait(false);
        if (filled is not null)
            await filled.ConfigureAwait(false);
    }

    private PackWriter NewWriter() => new(Id, _cipher, _options.PackTargetSize);

    /// <summary>
    /// Takes the slot's pack out (under the slot lock, which the caller holds), gives the slot a
    /// fresh writer, and seals the old pack in the background; registered before the lock is
    /// released, so no flush can miss it.
    /// </summary>
    private Task StartSealing(WriterSlot slot)
    {
        var writer = slot.Writer;
        slot.Writer = NewWriter();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_sealing)
            _sealing.Add(done.Task);
        _ = Task.Run(async () =>
        {
            try
            {
                await SealAndStoreAsync(writer, CancellationToken.None).ConfigureAwait(false);
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
            finally
            {
                lock (_sealing)
                    _sealing.Remove(done.Task);
            }
        });
        return done.Task;
    }

    private async ValueTask<WriterSlot> AcquireSlotAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        int start = (int)((uint)Interlocked.Increment(ref _nextSlot) % (uint)_slots.Length);
        for (int i = 0; i < _slots.Length; i++)
        {
            var candidate = _slots[(start + i) % _slots.Length];
            if (candidate.Lock.Wait(0))
                return candidate;
        }
        var slot = _slots[start];
        await slot.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        return slot;
    }

    /// <summary>
    /// Seal, record the intent, store durably, then index in one batch that also clears the intent.
    /// That order is invariant 2: the index never names a pack the store may not have, and a crash
    /// at any step leaves an intent that the next open settles (see RecoverAsync).
    /// </summary>
    private async Task SealAndStoreAsync(PackWriter writer, CancellationToken cancellationToken)
    {
        try
        {
            var pack = writer.Seal(DateTimeOffset.UtcNow);
            byte[] intent = IntentKey(PackIntentPrefix, pack.Id.ToArray());
            using (var batch = _index.CreateBatch())
            {
                batch.PutMeta(intent, []);
                _index.Write(batch);
            }
            FaultPoints.Hit(FaultPoints.PackSealed);

            string location = await _store.PutAsync(StoreObjectKind.Pack, pack.Id.ToString(), pack.Bytes, cancellationToken).ConfigureAwait(false);
            FaultPoints.Hit(FaultPoints.PackStored);

            long recordBytes = 0;
            using (var batch = _index.CreateBatch())
            {
                foreach (var entry in pack.Entries)
                {
                    batch.PutChunk(Id, entry.Digest, entry.ToLocation(pack.Id));
                    recordBytes += entry.StoredLength;
                }
                batch.PutPack(Id, new PackRecord(pack.Id, location, pack.Bytes.Length, recordBytes, pack.Entries.Count, pack.Created));
                batch.DeleteMeta(intent);
                _index.Write(batch);
            }
        }
        catch
        {
            Interlocked.Increment(ref _lostPackEpoch);
            throw;
        }
        finally
        {
            foreach (var entry in writer.Entries)
                _pending.TryRemove(entry.Digest, out _);
            writer.Reset();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        // Chunks in open packs were never promised durable; dropping them is what a crash would do.
        foreach (var slot in _slots)
        {
            await slot.Lock.WaitAsync().ConfigureAwait(false);
            slot.Writer.Reset();
        }
        // Packs already handed to the store finish (or fail) before the cipher and key go away.
        Task[] sealing;
        lock (_sealing)
            sealing = [.. _sealing];
        try
        {
            await Task.WhenAll(sealing).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Their callers saw the failure; a closing repository has nobody else to tell.
        }
        _cipher.Dispose();
        _dataKey.Dispose();
    }

    private sealed class WriterSlot(PackWriter writer)
    {
        public PackWriter Writer { get; set; } = writer;
        public SemaphoreSlim Lock { get; } = new(1, 1);
    }
}
