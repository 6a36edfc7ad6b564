using System.Buffers;
using Bunker.Chunking;
using Bunker.Index;
using Bunker.Storage.Packs;
using Bunker.Storage.Stores;

namespace Bunker.Storage;

/// <summary>
/// The state of a repository as a check found it. Orphan packs and unreferenced chunks are
/// garbage (space a GC can reclaim); missing or damaged data is loss, and makes it unhealthy.
/// </summary>
public sealed record CheckReport
{
    public int PacksInStore { get; set; }
    public int PacksIndexed { get; init; }
    public long ChunksIndexed { get; init; }
    public int Snapshots { get; init; }
    public List<string> OrphanPacks { get; } = [];
    public long OrphanBytes { get; set; }
    public List<string> MissingPacks { get; } = [];
    public List<string> Damaged { get; } = [];
    public List<string> MissingChunks { get; } = [];
    public long UnreferencedChunks { get; set; }
    public long UnreferencedBytes { get; set; }
    /// <summary>Packs read whole (with read-data: all, or the subset asked for).</summary>
    public int PacksRead { get; set; }
    /// <summary>Chunks decrypted and hashed back to their digests.</summary>
    public long ChunksVerified { get; set; }
    /// <summary>Each damaged or missing chunk, with where snapshots use it (at most <see cref="Repository.ChunkProblemsToList"/>).</summary>
    public List<ChunkProblem> Chunks { get; } = [];
    /// <summary>What is worth knowing but loses nothing.</summary>
    public List<string> Notes { get; } = [];
    public bool IsHealthy => MissingPacks.Count == 0 && Damaged.Count == 0 && MissingChunks.Count == 0 && Chunks.Count == 0;
}

/// <summary>How a check runs.</summary>
public sealed record CheckOptions
{
    public bool ReadData { get; init; }
    /// <summary>With <see cref="ReadData"/>: which packs to read (a subset); null for all.</summary>
    public Func<PackId, bool>? ReadPack { get; init; }
    /// <summary>
    /// Drop a damaged chunk's index entry (the pack is kept, untouched), so that the next backup that has its data is
    /// told it is missing and stores it again: the repository heals.
    /// </summary>
    public bool DropDamaged { get; init; }
}

/// <summary>A snapshot's use of a chunk: in which archive, at which byte offset.</summary>
public readonly record struct ChunkUse(SnapshotId Snapshot, string Archive, ulong Offset, uint Length);

/// <summary>A chunk that is damaged (fails authentication or its digest) or missing (no entry, or its pack is gone).</summary>
public sealed record ChunkProblem(Bunker.Chunking.ChunkDigest Digest, PackId? Pack, string Problem, string Detail)
{
    public List<ChunkUse> Uses { get; } = [];
}

public sealed partial class Repository
{
    private const int ProblemsToList = 100;

    /// <summary>
    /// Checks the repository: store against index, every snapshot's references against the index,
    /// and what is stored but referenced by nothing. With <paramref name="readData"/> every pack is
    /// read whole, its name checked against its hash and every chunk decrypted, decoded and hashed.
    /// Memory stays bounded: references are marked in the index, not in a set in RAM.
    /// </summary>
    public Task<CheckReport> CheckAsync(bool readData = false, CancellationToken cancellationToken = default) =>
        CheckAsync(new CheckOptions { ReadData = readData }, cancellationToken);

    /// <summary>Chunk problems listed in a report, at most (the counts are complete).</summary>
    public const int ChunkProblemsToList = 10_000;
    private const int UsesToList = 100;

    /// <summary>The check with <paramref name="options"/>: a subset of packs, and damaged chunks dropped from the index to heal.</summary>
    public async Task<CheckReport> CheckAsync(CheckOptions options, CancellationToken cancellationToken = default)
    {
        bool readData = options.ReadData;
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        var problems = new Dictionary<Bunker.Chunking.ChunkDigest, ChunkProblem>();
        var missingPacks = new HashSet<PackId>();
        var report = new CheckReport
        {
            PacksIndexed = (int)_index.Packs.Count(Id),
            ChunksIndexed = _index.Chunks.Count(Id),
            Snapshots = _index.Snapshots.Count(Id),
        };
        await foreach (var info in _store.ListAsync(StoreObjectKind.Pack, cancellationToken).ConfigureAwait(false))
        {
            report.PacksInStore++;
            if (!_index.Packs.TryGet(Id, PackId.Parse(info.Name), out _))
            {
                report.OrphanPacks.Add(info.Name);
                report.OrphanBytes += info.Size;
            }
        }

        foreach (var pack in _index.Packs.Scan(Id))
        {
            long? size = await _store.GetSizeAsync(StoreObjectKind.Pack, pack.Id.ToString(), cancellationToken).ConfigureAwait(false);
            if (size is null)
                report.MissingPacks.Add(pack.Id.ToString());
            else if (size != pack.Size)
                report.Damaged.Add($"pack {pack.Id}: it has {size} bytes, the pack table says {pack.Size}");
            else if (readData && (options.ReadPack is null || options.ReadPack(pack.Id)))
                await VerifyPackDataAsync(pack, report, options, problems, cancellationToken).ConfigureAwait(false);
            if (size is null)
            {
                // Every chunk the index keeps in a missing pack is lost with it (until it is uploaded again).
                missingPacks.Add(pack.Id);
            }
        }
        if (missingPacks.Count > 0)
        {
            foreach (var (digest, location) in _index.Chunks.Scan(Id))
                if (missingPacks.Contains(location.Pack)) AddProblem(problems, new ChunkProblem(digest, location.Pack, "missing", $"its pack {location.Pack} is not in the store"));
        }

        await CheckReferencesAsync(report, problems, cancellationToken).ConfigureAwait(false);
        report.Chunks.AddRange(problems.Values);
        return report;
    }

    private static void AddProblem(Dictionary<Bunker.Chunking.ChunkDigest, ChunkProblem> problems, ChunkProblem problem)
    {
        if (problems.Count < ChunkProblemsToList) problems.TryAdd(problem.Digest, problem);
    }

    private async Task VerifyPackDataAsync(PackRecord pack, CheckReport report, CheckOptions options, Dictionary<Bunker.Chunking.ChunkDigest, ChunkProblem> problems,
        CancellationToken cancellationToken)
    {
        byte[] bytes;
        try
        {
            bytes = await _store.ReadAllAsync(StoreObjectKind.Pack, pack.Id.ToString(), cancellationToken).ConfigureAwait(false);
        }
        catch (StoreException e)
        {
            report.Damaged.Add(e.Message);
            return;
        }
        report.PacksRead++;
        bool intact = PackId.FromHash(ChunkDigest.Compute(bytes)) == pack.Id;
        int bad = 0;
        PackTableContents table;
        try
        {
            table = PackReader.ParseTable(pack.Id, bytes, _cipher);
        }
        catch (PackException e)
        {
            AddCapped(report.Damaged, e.Message);
            return;
        }
        using var drop = _index.CreateBatch();
        foreach (var entry in table.Entries)
        {
            // Only what the index points at here is data; a record whose chunk now lives elsewhere is dead bytes, not damage.
            if (!_index.Chunks.TryGet(Id, entry.Digest, out var location) || location.Pack != pack.Id || location.Offset != entry.Offset) continue;
            byte[] raw = ArrayPool<byte>.Shared.Rent((int)Math.Max(entry.RawLength, 1));
            try
            {
                PackReader.DecodeChunk(entry.Digest, entry.ToLocation(pack.Id), bytes.AsSpan((int)entry.Offset, (int)entry.StoredLength), _cipher, raw.AsSpan(0, (int)entry.RawLength));
                report.ChunksVerified++;
            }
            catch (PackException e)
            {
                bad++;
                AddCapped(report.Damaged, e.Message);
                AddProblem(problems, new ChunkProblem(entry.Digest, pack.Id, "damaged", e.Message));
                if (options.DropDamaged) drop.DeleteChunk(Id, entry.Digest);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(raw);
            }
        }
        if (drop.Count > 0)
        {
            RecordDamaged(pack.Id, drop);
            _index.Write(drop);
        }
        if (!intact)
        {
            // Altered bytes that no indexed chunk lies in (a record whose chunk was dropped and stored again since, or
            // dead space) lose nothing: they are worth knowing, not damage. GC rewrites the pack away in time.
            if (bad > 0) AddCapped(report.Damaged, $"pack {pack.Id}: its bytes do not hash to its name");
            else AddCapped(report.Notes, $"pack {pack.Id}: its bytes do not hash to its name, but every chunk the index keeps in it verifies (the damage lies in data no longer used)");
        }
    }

    /// <summary>
    /// Marks every chunk a snapshot references (data and index chunks) under a private meta prefix,
    /// reports references the index cannot satisfy, then counts indexed chunks left unmarked.
    /// </summary>
    private async Task CheckReferencesAsync(CheckReport report, Dictionary<Bunker.Chunking.ChunkDigest, ChunkProblem> problems, CancellationToken cancellationToken)
    {
        byte[] markPrefix = IntentKey("check/mark/"u8, Guid.NewGuid().ToByteArray());
        var mark = new byte[markPrefix.Length + ChunkDigest.Size];
        markPrefix.CopyTo(mark, 0);
        var batch = _index.CreateBatch();
        int batched = 0;
        try
        {
            foreach (var snapshot in _index.Snapshots.List(Id))
            {
                var manifest = await LoadManifestAsync(snapshot.Id, cancellationToken).ConfigureAwait(false);
                foreach (var archive in manifest.Archives)
                {
                    try
                    {
                        foreach (var indexChunk in archive.IndexChunks)
                            Mark(new ChunkDigest(indexChunk.Span));
                        await foreach (var entry in ReadArchiveAsync(archive, cancellationToken).ConfigureAwait(false))
                        {
                            if (entry.Digest.IsHole) continue; // zeros, stored nowhere
                            if (!_index.Chunks.TryGet(Id, entry.Digest, out _))
                            {
                                AddCapped(report.MissingChunks, $"snapshot {snapshot.Id.ToShortString()} archive '{archive.Name}': chunk {entry.Digest} at offset {entry.Offset} is missing");
                                AddProblem(problems, new ChunkProblem(entry.Digest, null, "missing", "no index entry: never stored, or dropped as damaged"));
                            }
                            if (problems.Count > 0 && problems.TryGetValue(entry.Digest, out var problem) && problem.Uses.Count < UsesToList)
                                problem.Uses.Add(new ChunkUse(snapshot.Id, archive.Name, entry.Offset, entry.Length));
                            Mark(entry.Digest);
                        }
                    }
                    catch (Exception e) when (e is PackException or ChunkNotFoundException or InvalidDataException)
                    {
                        AddCapped(report.MissingChunks, $"snapshot {snapshot.Id.ToShortString()} archive '{archive.Name}': its index cannot be read: {e.Message}");
                    }
                }
            }
            FlushMarks();

            foreach (var pair in _index.Chunks.Scan(Id))
            {
                pair.Key.CopyTo(mark.AsSpan(markPrefix.Length));
                if (!_index.Meta.TryGet(mark, out _))
                {
                    report.UnreferencedChunks++;
                    report.UnreferencedBytes += pair.Value.StoredLength;
                }
            }
        }
        finally
        {
            batch.Dispose();
            DeleteMetaPrefix(markPrefix);
        }

        void Mark(in ChunkDigest digest)
        {
            digest.CopyTo(mark.AsSpan(markPrefix.Length));
            batch.PutMeta(mark, []);
            if (++batched == 10_000)
                FlushMarks();
        }

        void FlushMarks()
        {
            _index.Write(batch, sync: false);
            batch.Dispose();
            batch = _index.CreateBatch();
            batched = 0;
        }
    }

    private static void AddCapped(List<string> list, string problem)
    {
        if (list.Count < ProblemsToList)
            list.Add(problem);
    }
}
