using System.Collections.Concurrent;
using System.Security.Cryptography;
using Bunker.Index;

namespace Bunker.Storage.Stores.Composite;

/// <summary>What one tiering pass moved to the cold tier.</summary>
public sealed record TierReport(int Moved, long Bytes, int MetadataCopied, long HotBytes, IReadOnlyList<string> Problems);

/// <summary>
/// A hot tier (local disk) and a cold one (S3). New packs land hot; <see cref="MoveAsync"/> moves them cold by the
/// <see cref="TierPolicy"/> (age, time since last read, the hot tier's size). Reads go to the tier the pack table
/// names (cold reads through an optional local <see cref="PackReadCache"/>). The repository's config, owner and
/// manifests are written to both tiers, so the cold one alone (the bucket) is enough to recover from; when the cold
/// tier is down they are written hot and copied cold by the next pass.
/// </summary>
public sealed class TieredStore : ICompositeStore
{
    private readonly ConcurrentDictionary<string, long> _lastRead = new(StringComparer.Ordinal);
    private readonly long _started = DateTime.UtcNow.Ticks;
    private Func<string, string?>? _packLocation;

    public TieredStore(string name, IPackStore hot, IPackStore cold, TierPolicy policy, PackReadCache? cache = null)
    {
        policy.Validate();
        Name = name;
        Hot = hot;
        Cold = cold;
        Policy = policy;
        Cache = cache;
    }

    public string Name { get; }
    public IPackStore Hot { get; }
    public IPackStore Cold { get; }
    public TierPolicy Policy { get; }
    public PackReadCache? Cache { get; }
    public IReadOnlyList<IPackStore> MemberStores => [Hot, Cold];

    public void UsePlacement(Func<string, string?> packLocation)
    {
        _packLocation = packLocation;
        if (Hot is IPlacedStore hot) hot.UsePlacement(packLocation);
        if (Cold is IPlacedStore cold) cold.UsePlacement(packLocation);
    }

    public async Task<string> PutAsync(StoreObjectKind kind, string name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        string where = await Hot.PutAsync(kind, name, data, cancellationToken).ConfigureAwait(false);
        if (kind != StoreObjectKind.Pack)
        {
            try
            {
                await Cold.PutAsync(kind, name, data, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException && !cancellationToken.IsCancellationRequested)
            {
                // The hot copy is durable; the next tiering pass copies it cold.
            }
        }
        return where;
    }

    public Task<byte[]> ReadAllAsync(StoreObjectKind kind, string name, CancellationToken cancellationToken = default) =>
        CompositeMembers.ReadFirstAsync(Name, kind, name, ReadOrder(kind, name), store =>
        {
            Touch(kind, name, store);
            return store.ReadAllAsync(kind, name, cancellationToken);
        }, null, cancellationToken);

    public Task ReadRangeAsync(StoreObjectKind kind, string name, long offset, Memory<byte> destination, CancellationToken cancellationToken = default) =>
        CompositeMembers.ReadFirstAsync(Name, kind, name, ReadOrder(kind, name), async store =>
        {
            Touch(kind, name, store);
            if (store == Cold && Cache is { } cache && kind == StoreObjectKind.Pack)
                await cache.ReadRangeAsync(name, offset, destination, () => Cold.ReadAllAsync(kind, name, cancellationToken), cancellationToken).ConfigureAwait(false);
            else
                await store.ReadRangeAsync(kind, name, offset, destination, cancellationToken).ConfigureAwait(false);
            return true;
        }, null, cancellationToken);

    public async Task<long?> GetSizeAsync(StoreObjectKind kind, string name, CancellationToken cancellationToken = default)
    {
        foreach (var store in ReadOrder(kind, name))
        {
            if (await store.GetSizeAsync(kind, name, cancellationToken).ConfigureAwait(false) is { } size) return size;
        }
        return null;
    }

    public Task<string?> LocateAsync(StoreObjectKind kind, string name, CancellationToken cancellationToken = default) =>
        CompositeMembers.LocateFirstAsync(ReadOrder(kind, name), kind, name, cancellationToken);

    public IAsyncEnumerable<StoreObjectInfo> ListAsync(StoreObjectKind kind, CancellationToken cancellationToken = default) =>
        CompositeMembers.ListUnionAsync(MemberStores, kind, cancellationToken);

    public async Task DeleteAsync(StoreObjectKind kind, string name, CancellationToken cancellationToken = default)
    {
        if (kind == StoreObjectKind.Pack) Cache?.Remove(name);
        _lastRead.TryRemove(name, out _);
        await CompositeMembers.DeleteEverywhereAsync(MemberStores, kind, name, null, cancellationToken).ConfigureAwait(false);
    }

    public async Task ProbeAsync(CancellationToken cancellationToken = default)
    {
        await Hot.ProbeAsync(cancellationToken).ConfigureAwait(false);
        await Cold.ProbeAsync(cancellationToken).ConfigureAwait(false);
    }

    private IEnumerable<IPackStore> ReadOrder(StoreObjectKind kind, string name)
    {
        var located = kind == StoreObjectKind.Pack ? CompositeMembers.MemberAt(MemberStores, _packLocation?.Invoke(name)) : null;
        if (located == Cold) return [Cold, Hot];
        return [Hot, Cold];
    }

    private void Touch(StoreObjectKind kind, string name, IPackStore store)
    {
        if (kind == StoreObjectKind.Pack && store == Hot) _lastRead[name] = DateTime.UtcNow.Ticks;
    }

    /// <summary>
    /// One tiering pass over <paramref name="repository"/>'s packs: those on the hot tier that the policy says should go
    /// are copied cold (checked against their name first), recorded there in the pack table, and removed hot; the
    /// oldest go first when the hot tier is over its size. Config, owner and manifests missing from the cold tier are
    /// copied there.
    /// </summary>
    public async Task<TierReport> MoveAsync(Repository repository, CancellationToken cancellationToken = default)
    {
        var problems = new List<string>();
        int metadata = await CopyMetadataAsync(problems, cancellationToken).ConfigureAwait(false);
        var now = DateTime.UtcNow;
        var hot = new List<PackRecord>();
        long hotBytes = 0;
        foreach (var record in repository.Index.Packs.Scan(repository.Id))
        {
            if (CompositeMembers.MemberAt(MemberStores, record.Location) != Hot) continue;
            hot.Add(record);
            hotBytes += record.Size;
        }
        hot.Sort((a, b) => a.Created.CompareTo(b.Created));
        int moved = 0;
        long bytes = 0;
        foreach (var record in hot)
        {
            cancellationToken.ThrowIfCancellationRequested();
            bool tooOld = Policy.MoveAfter is { } age && now - record.Created.UtcDateTime >= age;
            long lastRead = _lastRead.TryGetValue(record.Id.ToString(), out var read) ? read : _started;
            bool unread = Policy.MoveUnreadAfter is { } idle && now - new DateTime(lastRead, DateTimeKind.Utc) >= idle;
            bool tooBig = Policy.HotMaxBytes is { } max && hotBytes > max;
            if (!tooOld && !unread && !tooBig) continue;
            try
            {
                string name = record.Id.ToString();
                byte[] data = await Hot.ReadAllAsync(StoreObjectKind.Pack, name, cancellationToken).ConfigureAwait(false);
                if (Convert.ToHexStringLower(SHA256.HashData(data)) != name)
                {
                    problems.Add($"pack {name} on '{Hot.Name}' does not hash to its name; it stays there");
                    continue;
                }
                string location = await Cold.PutAsync(StoreObjectKind.Pack, name, data, cancellationToken).ConfigureAwait(false);
                if (await Cold.GetSizeAsync(StoreObjectKind.Pack, name, cancellationToken).ConfigureAwait(false) != data.Length)
                {
                    problems.Add($"pack {name} is not whole on '{Cold.Name}' after the copy; it stays hot");
                    continue;
                }
                repository.SetPackLocation(record.Id, location);
                await Hot.DeleteAsync(StoreObjectKind.Pack, name, cancellationToken).ConfigureAwait(false);
                _lastRead.TryRemove(name, out _);
                moved++;
                bytes += data.Length;
                hotBytes -= data.Length;
            }
            catch (Exception e) when (e is IOException && !cancellationToken.IsCancellationRequested)
            {
                problems.Add($"pack {record.Id}: {e.Message}");
                if (e is StoreUnavailableException) break; // the cold tier is down: the next pass tries again
            }
        }
        return new TierReport(moved, bytes, metadata, hotBytes, problems);
    }

    private async Task<int> CopyMetadataAsync(List<string> problems, CancellationToken cancellationToken)
    {
        int copied = 0;
        foreach (var kind in new[] { StoreObjectKind.Config, StoreObjectKind.Snapshot })
        {
            var names = new List<string>();
            await foreach (var info in Hot.ListAsync(kind, cancellationToken).ConfigureAwait(false)) names.Add(info.Name);
            foreach (var name in names)
            {
                try
                {
                    if (await Cold.GetSizeAsync(kind, name, cancellationToken).ConfigureAwait(false) is not null) continue;
                    byte[] data = await Hot.ReadAllAsync(kind, name, cancellationToken).ConfigureAwait(false);
                    await Cold.PutAsync(kind, name, data, cancellationToken).ConfigureAwait(false);
                    // Deleted (a forget) while it was being copied: the deletion wins on the cold tier too.
                    if (await Hot.GetSizeAsync(kind, name, cancellationToken).ConfigureAwait(false) is null)
                        await Cold.DeleteAsync(kind, name, cancellationToken).ConfigureAwait(false);
                    else
                        copied++;
                }
                catch (StoreObjectNotFoundException)
                {
                    // Deleted since the listing.
                }
                catch (Exception e) when (e is IOException && !cancellationToken.IsCancellationRequested)
                {
                    problems.Add($"{kind.ToString().ToLowerInvariant()} {name} not copied to '{Cold.Name}': {e.Message}");
                    return copied;
                }
            }
        }
        return copied;
    }
}
