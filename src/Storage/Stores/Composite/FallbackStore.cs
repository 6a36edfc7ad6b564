using System.Security.Cryptography;
using Bunker.Index;

namespace Bunker.Storage.Stores.Composite;

/// <summary>One member of a <see cref="FallbackStore"/>: a store and the health that decides whether it is written to.</summary>
public sealed record FallbackMember(IPackStore Store, StoreHealth Health);

/// <summary>What one reconciliation pass moved back to the primary, and what it could not.</summary>
public sealed record ReconcileReport(int Moved, long Bytes, int Skipped, IReadOnlyList<string> Problems, bool PrimaryHealthy);

/// <summary>
/// Stores in order, the primary first (WAL-G's failover storages, made fit for a daemon). Writes go to the first
/// healthy member, and on to the next when one fails past its retries; reads go to the member the pack table names,
/// then to the others; deletes reach every member. Health comes from probes and from what real operations meet (see
/// <see cref="StoreHealth"/>). Once the primary is healthy again, <see cref="ReconcileAsync"/> moves what the others
/// took in back to it, checking each copy before the other is removed.
/// </summary>
public sealed class FallbackStore : ICompositeStore
{
    private readonly IReadOnlyList<FallbackMember> _members;
    private Func<string, string?>? _packLocation;

    public FallbackStore(string name, IReadOnlyList<FallbackMember> members)
    {
        if (members.Count < 2) throw new ArgumentException($"fallback store '{name}' needs at least two members");
        Name = name;
        _members = members;
    }

    public string Name { get; }
    public IReadOnlyList<FallbackMember> Members => _members;
    public IReadOnlyList<IPackStore> MemberStores => [.. _members.Select(m => m.Store)];
    public FallbackMember Primary => _members[0];
    /// <summary>Whether writes currently go somewhere other than the primary.</summary>
    public bool Degraded => !_members[0].Health.IsHealthy;

    public void UsePlacement(Func<string, string?> packLocation)
    {
        _packLocation = packLocation;
        foreach (var member in _members)
            if (member.Store is IPlacedStore placed) placed.UsePlacement(packLocation);
    }

    public async Task<string> PutAsync(StoreObjectKind kind, string name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        Exception? last = null;
        // Healthy members in order; the unhealthy ones only when no healthy one took it (one of them may be back).
        foreach (var member in _members.Where(m => m.Health.IsHealthy).Concat(_members.Where(m => !m.Health.IsHealthy)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                string where = await member.Store.PutAsync(kind, name, data, cancellationToken).ConfigureAwait(false);
                member.Health.OperationSucceeded();
                return where;
            }
            catch (Exception e) when (e is IOException && !cancellationToken.IsCancellationRequested)
            {
                member.Health.OperationFailed(e);
                last = e;
            }
        }
        throw new StoreUnavailableException(Name, $"no member took {kind.ToString().ToLowerInvariant()} {name}: {last?.Message}", last);
    }

    public Task<byte[]> ReadAllAsync(StoreObjectKind kind, string name, CancellationToken cancellationToken = default) =>
        CompositeMembers.ReadFirstAsync(Name, kind, name, ReadOrder(kind, name), store => store.ReadAllAsync(kind, name, cancellationToken), Failed, cancellationToken);

    public Task ReadRangeAsync(StoreObjectKind kind, string name, long offset, Memory<byte> destination, CancellationToken cancellationToken = default) =>
        CompositeMembers.ReadFirstAsync(Name, kind, name, ReadOrder(kind, name), async store =>
        {
            await store.ReadRangeAsync(kind, name, offset, destination, cancellationToken).ConfigureAwait(false);
            return true;
        }, Failed, cancellationToken);

    public async Task<long?> GetSizeAsync(StoreObjectKind kind, string name, CancellationToken cancellationToken = default)
    {
        try
        {
            return await CompositeMembers.ReadFirstAsync(Name, kind, name, ReadOrder(kind, name), async store =>
                await store.GetSizeAsync(kind, name, cancellationToken).ConfigureAwait(false) ?? throw new StoreObjectNotFoundException(store.Name, kind, name),
                Failed, cancellationToken).ConfigureAwait(false);
        }
        catch (StoreObjectNotFoundException)
        {
            return null;
        }
    }

    public Task<string?> LocateAsync(StoreObjectKind kind, string name, CancellationToken cancellationToken = default) =>
        CompositeMembers.LocateFirstAsync(ReadOrder(kind, name), kind, name, cancellationToken);

    public IAsyncEnumerable<StoreObjectInfo> ListAsync(StoreObjectKind kind, CancellationToken cancellationToken = default) =>
        CompositeMembers.ListUnionAsync(MemberStores, kind, cancellationToken);

    public Task DeleteAsync(StoreObjectKind kind, string name, CancellationToken cancellationToken = default) =>
        CompositeMembers.DeleteEverywhereAsync(MemberStores, kind, name, Failed, cancellationToken);

    /// <summary>Probes every member, recording each one's health; throws only when none answers.</summary>
    public async Task ProbeAsync(CancellationToken cancellationToken = default)
    {
        Exception? last = null;
        int answered = 0;
        foreach (var member in _members)
        {
            try
            {
                await member.Store.ProbeAsync(cancellationToken).ConfigureAwait(false);
                member.Health.ProbeSucceeded();
                answered++;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                member.Health.ProbeFailed(e);
                last = e;
            }
        }
        if (answered == 0) throw new StoreUnavailableException(Name, $"no member answers: {last?.Message}", last);
    }

    /// <summary>The member the pack table names first, then the healthy ones, then the rest.</summary>
    private IEnumerable<IPackStore> ReadOrder(StoreObjectKind kind, string name)
    {
        var located = kind == StoreObjectKind.Pack ? CompositeMembers.MemberAt(MemberStores, _packLocation?.Invoke(name)) : null;
        if (located is not null) yield return located;
        foreach (var member in _members)
            if (member.Health.IsHealthy && member.Store != located) yield return member.Store;
        foreach (var member in _members)
            if (!member.Health.IsHealthy && member.Store != located) yield return member.Store;
    }

    private void Failed(IPackStore store, Exception e)
    {
        if (e is StoreUnavailableException) _members.FirstOrDefault(m => m.Store == store)?.Health.OperationFailed(e);
    }

    /// <summary>
    /// Moves what the other members hold back to the primary, when it is healthy: each object is read, checked (a pack
    /// must hash to its name), put on the primary, read back and compared, recorded in the pack table there, and only
    /// then removed from the member it was on. A pack the pack table does not know yet (its seal is under way) waits for
    /// the next pass; an object that vanished from its member while it was copied (deleted meanwhile) is removed from
    /// the primary too, so a deletion always wins.
    /// </summary>
    public async Task<ReconcileReport> ReconcileAsync(Repository repository, CancellationToken cancellationToken = default)
    {
        var primary = _members[0].Store;
        if (!_members[0].Health.IsHealthy) return new ReconcileReport(0, 0, 0, [], PrimaryHealthy: false);
        int moved = 0, skipped = 0;
        long bytes = 0;
        var problems = new List<string>();
        foreach (var member in _members.Skip(1))
        {
            // Packs last: a snapshot whose manifest moved is readable from wherever its packs still are.
            foreach (var kind in new[] { StoreObjectKind.Config, StoreObjectKind.Snapshot, StoreObjectKind.Pack })
            {
                var names = new List<string>();
                await foreach (var info in member.Store.ListAsync(kind, cancellationToken).ConfigureAwait(false)) names.Add(info.Name);
                foreach (var name in names)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (!_members[0].Health.IsHealthy) return new ReconcileReport(moved, bytes, skipped, problems, PrimaryHealthy: false);
                    try
                    {
                        long size = await MoveAsync(repository, member.Store, primary, kind, name, cancellationToken).ConfigureAwait(false);
                        if (size < 0) skipped++;
                        else
                        {
                            moved++;
                            bytes += size;
                        }
                    }
                    catch (Exception e) when (e is IOException or InvalidDataException && !cancellationToken.IsCancellationRequested)
                    {
                        problems.Add($"{kind.ToString().ToLowerInvariant()} {name} on '{member.Store.Name}': {e.Message}");
                        if (e is StoreUnavailableException) _members[0].Health.OperationFailed(e);
                    }
                }
            }
        }
        return new ReconcileReport(moved, bytes, skipped, problems, PrimaryHealthy: _members[0].Health.IsHealthy);
    }

    /// <summary>One object from <paramref name="from"/> to <paramref name="to"/>; its size, or -1 when it waits for a later pass.</summary>
    private static async Task<long> MoveAsync(Repository repository, IPackStore from, IPackStore to, StoreObjectKind kind, string name, CancellationToken cancellationToken)
    {
        byte[] data;
        try
        {
            data = await from.ReadAllAsync(kind, name, cancellationToken).ConfigureAwait(false);
        }
        catch (StoreObjectNotFoundException)
        {
            return -1; // gone since the listing
        }
        byte[] digest = SHA256.HashData(data);
        if (kind == StoreObjectKind.Pack && Convert.ToHexStringLower(digest) != name)
            throw new InvalidDataException($"its bytes do not hash to its name; it stays where it is for an operator");
        PackId? pack = kind == StoreObjectKind.Pack ? PackId.Parse(name) : null;
        if (pack is { } unindexed && !repository.Index.Packs.TryGet(repository.Id, unindexed, out _))
            return -1; // not indexed yet: its seal may still be under way

        string location = await to.PutAsync(kind, name, data, cancellationToken).ConfigureAwait(false);
        byte[] back = await to.ReadAllAsync(kind, name, cancellationToken).ConfigureAwait(false);
        if (!SHA256.HashData(back).AsSpan().SequenceEqual(digest))
            throw new InvalidDataException($"the copy on '{to.Name}' does not read back the same; the original stays");
        if (await from.GetSizeAsync(kind, name, cancellationToken).ConfigureAwait(false) is null)
        {
            // Deleted while it was being copied: the deletion wins.
            await to.DeleteAsync(kind, name, cancellationToken).ConfigureAwait(false);
            return -1;
        }
        if (pack is { } moved) repository.SetPackLocation(moved, location);
        await from.DeleteAsync(kind, name, cancellationToken).ConfigureAwait(false);
        return data.Length;
    }
}
