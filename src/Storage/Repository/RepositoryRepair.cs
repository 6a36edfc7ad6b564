using Bunker.Chunking;
using Bunker.Index;
using Bunker.Storage.Crypto;
using Bunker.Storage.Packs;
using Bunker.Storage.Stores;

namespace Bunker.Storage;

/// <summary>What a repair did.</summary>
public sealed record RepairReport
{
    public int PacksHealed { get; init; }
    public int ChunksRestored { get; init; }
    public int PacksQuarantined { get; init; }
    public int ChunksSalvaged { get; init; }
    public IReadOnlyList<string> Problems { get; init; } = [];
}

/// <summary>
/// Repairs after damage: a check that finds a damaged chunk drops its index entry and records the pack as damaged, so
/// the next backup with that data stores it again; <see cref="HealFromAsync"/> fetches intact copies of damaged or
/// missing packs from a second store (a mirror, a fallback member), checked against their names; and
/// <see cref="QuarantineDamagedAsync"/> copies a damaged pack's good chunks into new packs and moves the pack aside,
/// never deleting it.
/// </summary>
public sealed partial class Repository
{
    private static ReadOnlySpan<byte> DamagedPrefix => "damaged/"u8;

    /// <summary>Packs a check found damaged and that no repair has dealt with yet.</summary>
    public IReadOnlyList<PackId> DamagedPacks()
    {
        byte[] prefix = IntentScanPrefix(DamagedPrefix);
        return [.. _index.Meta.ScanPrefix(prefix).Select(p => new PackId(p.Key.AsSpan(prefix.Length)))];
    }

    internal void RecordDamaged(PackId pack, IndexBatch batch) => batch.PutMeta(IntentKey(DamagedPrefix, pack.ToArray()), []);

    /// <summary>
    /// For every pack recorded damaged, or in the pack table but not in the store: a copy from <paramref name="mirror"/>
    /// whose bytes hash to its name is put back, and the index entries it should hold (and lacks) are restored.
    /// </summary>
    public async Task<RepairReport> HealFromAsync(IPackStore mirror, CancellationToken cancellationToken = default)
    {
        var damaged = DamagedPacks().ToHashSet();
        int healed = 0, restored = 0;
        var problems = new List<string>();
        foreach (var record in _index.Packs.Scan(Id).ToList())
        {
            cancellationToken.ThrowIfCancellationRequested();
            string name = record.Id.ToString();
            bool missing = await _store.GetSizeAsync(StoreObjectKind.Pack, name, cancellationToken).ConfigureAwait(false) is null;
            if (!missing && !damaged.Contains(record.Id)) continue;
            byte[] copy;
            try
            {
                copy = await mirror.ReadAllAsync(StoreObjectKind.Pack, name, cancellationToken).ConfigureAwait(false);
            }
            catch (StoreObjectNotFoundException)
            {
                problems.Add($"pack {name}: the mirror '{mirror.Name}' has no copy");
                continue;
            }
            if (PackId.FromHash(ChunkDigest.Compute(copy)) != record.Id)
            {
                problems.Add($"pack {name}: the mirror's copy is damaged too (it does not hash to its name)");
                continue;
            }
            var table = PackReader.ParseTable(record.Id, copy, _cipher);
            string location = await _store.PutAsync(StoreObjectKind.Pack, name, copy, cancellationToken).ConfigureAwait(false);
            using (var batch = _index.CreateBatch())
            {
                foreach (var entry in table.Entries)
                {
                    if (_index.Chunks.TryGet(Id, entry.Digest, out _)) continue;
                    batch.PutChunk(Id, entry.Digest, entry.ToLocation(record.Id));
                    restored++;
                }
                batch.PutPack(Id, record with { Location = location });
                batch.DeleteMeta(IntentKey(DamagedPrefix, record.Id.ToArray()));
                _index.Write(batch);
            }
            healed++;
        }
        return new RepairReport { PacksHealed = healed, ChunksRestored = restored, Problems = problems };
    }

    /// <summary>
    /// Moves every pack recorded damaged out of the way: its chunks that still verify and that the index keeps there are
    /// copied into new packs first; then the pack goes to the store's quarantine (kept, never read as data) and leaves
    /// the pack table. What was lost stays missing until a backup with that data, or a mirror, brings it back.
    /// </summary>
    public async Task<RepairReport> QuarantineDamagedAsync(CancellationToken cancellationToken = default)
    {
        int quarantined = 0, salvaged = 0;
        var problems = new List<string>();
        foreach (var pack in DamagedPacks())
        {
            string name = pack.ToString();
            byte[]? bytes = null;
            try
            {
                bytes = await _store.ReadAllAsync(StoreObjectKind.Pack, name, cancellationToken).ConfigureAwait(false);
            }
            catch (StoreObjectNotFoundException)
            {
                // Already gone: nothing to salvage or keep.
            }
            if (bytes is not null)
            {
                PackTableContents? table = null;
                try
                {
                    table = PackReader.ParseTable(pack, bytes, _cipher);
                }
                catch (PackException e)
                {
                    problems.Add($"pack {name}: its table cannot be read, nothing in it is salvaged: {e.Message}");
                }
                foreach (var entry in table?.Entries ?? [])
                {
                    if (!_index.Chunks.TryGet(Id, entry.Digest, out var location) || location.Pack != pack || location.Offset != entry.Offset) continue;
                    var encoded = new byte[entry.StoredLength - ChunkCipher.Overhead];
                    try
                    {
                        PackReader.OpenRecord(entry.Digest, pack, bytes.AsSpan((int)entry.Offset, (int)entry.StoredLength), _cipher, encoded);
                        var raw = new byte[entry.RawLength];
                        PackReader.DecodeChunk(entry.Digest, location, bytes.AsSpan((int)entry.Offset, (int)entry.StoredLength), _cipher, raw);
                    }
                    catch (PackException)
                    {
                        using var drop = _index.CreateBatch();
                        drop.DeleteChunk(Id, entry.Digest);
                        _index.Write(drop);
                        continue;
                    }
                    if (!_pending.TryAdd(entry.Digest, 0)) continue;
                    try
                    {
                        await AppendAsync(entry.Digest, encoded, entry.Codec, (int)entry.RawLength, cancellationToken).ConfigureAwait(false);
                        salvaged++;
                    }
                    catch
                    {
                        _pending.TryRemove(entry.Digest, out _);
                        throw;
                    }
                }
                await FlushAsync(cancellationToken).ConfigureAwait(false);
                await _store.PutAsync(StoreObjectKind.Quarantine, name, bytes, cancellationToken).ConfigureAwait(false);
                await _store.DeleteAsync(StoreObjectKind.Pack, name, cancellationToken).ConfigureAwait(false);
            }
            using (var batch = _index.CreateBatch())
            {
                // Entries that still point at it (unverifiable, with an unreadable table) go too: the pack is no longer readable data.
                foreach (var (digest, location) in _index.Chunks.Scan(Id))
                    if (location.Pack == pack) batch.DeleteChunk(Id, digest);
                batch.DeletePack(Id, pack);
                batch.DeleteMeta(IntentKey(DamagedPrefix, pack.ToArray()));
                _index.Write(batch);
            }
            quarantined++;
        }
        return new RepairReport { PacksQuarantined = quarantined, ChunksSalvaged = salvaged, Problems = problems };
    }
}
