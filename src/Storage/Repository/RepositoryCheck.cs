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
    public bool IsHealthy => MissingPacks.Count == 0 && Damaged.Count == 0 && MissingChunks.Count == 0;
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
    public async Task<CheckReport> CheckAsync(bool readData = false, CancellationToken cancellationToken = default)
    {
        await FlushAsync(cancellationToken).ConfigureAwait(false);
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
            else if (readData)
                await VerifyPackDataAsync(pack, report, cancellationToken).ConfigureAwait(false);
        }

        await CheckReferencesAsync(report, cancellationToken).ConfigureAwait(false);
        return report;
    }

    private async Task VerifyPackDataAsync(PackRecord pack, CheckReport report, CancellationToken cancellationToken)
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
        if (PackId.FromHash(ChunkDigest.Compute(bytes)) != pack.Id)
            report.Damaged.Add($"pack {pack.Id}: its bytes do not hash to its name");
        try
        {
            var table = PackReader.ParseTable(pack.Id, bytes, _cipher);
            foreach (var entry in table.Entries)
            {
                byte[] raw = ArrayPool<byte>.Shared.Rent((int)Math.Max(entry.RawLength, 1));
                try
                {
                    PackReader.DecodeChunk(entry.Digest, entry.ToLocation(pack.Id), bytes.AsSpan((int)entry.Offset, (int)entry.StoredLength), _cipher, raw.AsSpan(0, (int)entry.RawLength));
                }
                catch (PackException e)
                {
                    AddCapped(report.Damaged, e.Message);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(raw);
                }
            }
        }
        catch (PackException e)
        {
            AddCapped(report.Damaged, e.Message);
        }
    }

    /// <summary>
    /// Marks every chunk a snapshot references (data and index chunks) under a private meta prefix,
    /// reports references the index cannot satisfy, then counts indexed chunks left unmarked.
    /// </summary>
    private async Task CheckReferencesAsync(CheckReport report, CancellationToken cancellationToken)
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
                                AddCapped(report.MissingChunks, $"snapshot {snapshot.Id.ToShortString()} archive '{archive.Name}': chunk {entry.Digest} at offset {entry.Offset} is missing");
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
