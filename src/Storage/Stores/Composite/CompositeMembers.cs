using System.Runtime.CompilerServices;

namespace Bunker.Storage.Stores.Composite;

/// <summary>A store that is made of others, so that jobs and status can walk the tree of members.</summary>
public interface ICompositeStore : IPlacedStore
{
    IReadOnlyList<IPackStore> MemberStores { get; }
}

/// <summary>What fallback and tiered stores share: reading from several members in a chosen order, listing their union.</summary>
internal static class CompositeMembers
{
    /// <summary>
    /// Tries <paramref name="read"/> on each store in turn. A missing object moves on to the next; so does damage or an
    /// unavailable member, in case another holds a good copy. When none succeeds: not found if every one lacked it,
    /// else the first damage, else the last failure.
    /// </summary>
    public static async Task<T> ReadFirstAsync<T>(string name, StoreObjectKind kind, string objectName, IEnumerable<IPackStore> order,
        Func<IPackStore, Task<T>> read, Action<IPackStore, Exception>? failed, CancellationToken cancellationToken)
    {
        Exception? damage = null, unavailable = null;
        foreach (var store in order)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                return await read(store).ConfigureAwait(false);
            }
            catch (StoreObjectNotFoundException)
            {
            }
            catch (Exception e) when (e is StoreObjectTruncatedException or StoreObjectCorruptException or Packs.PackException)
            {
                damage ??= e;
            }
            catch (Exception e) when (e is IOException && !cancellationToken.IsCancellationRequested)
            {
                failed?.Invoke(store, e);
                unavailable = e;
            }
        }
        if (damage is not null) throw damage;
        if (unavailable is not null) throw unavailable;
        throw new StoreObjectNotFoundException(name, kind, objectName);
    }

    /// <summary>The union of the members' listings, each name once, at the first member (in order) that holds it.</summary>
    public static async IAsyncEnumerable<StoreObjectInfo> ListUnionAsync(IEnumerable<IPackStore> members, StoreObjectKind kind,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var member in members)
        {
            await foreach (var info in member.ListAsync(kind, cancellationToken).ConfigureAwait(false))
            {
                if (seen.Add(info.Name)) yield return info;
            }
        }
    }

    /// <summary>Deletes from every member; a member that fails does not stop the others, and the first failure is thrown at the end.</summary>
    public static async Task DeleteEverywhereAsync(IEnumerable<IPackStore> members, StoreObjectKind kind, string name, Action<IPackStore, Exception>? failed,
        CancellationToken cancellationToken)
    {
        Exception? first = null;
        foreach (var member in members)
        {
            try
            {
                await member.DeleteAsync(kind, name, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException && !cancellationToken.IsCancellationRequested)
            {
                failed?.Invoke(member, e);
                first ??= e;
            }
        }
        if (first is not null) throw first;
    }

    /// <summary>Where the first store in <paramref name="order"/> that holds the object says it is.</summary>
    public static async Task<string?> LocateFirstAsync(IEnumerable<IPackStore> order, StoreObjectKind kind, string name, CancellationToken cancellationToken)
    {
        foreach (var store in order)
        {
            if (await store.LocateAsync(kind, name, cancellationToken).ConfigureAwait(false) is { } where) return where;
        }
        return null;
    }

    /// <summary>The member <paramref name="location"/> names, or the member whose own members do; null when none.</summary>
    public static IPackStore? MemberAt(IEnumerable<IPackStore> members, string? location)
    {
        if (location is null) return null;
        foreach (var member in members)
        {
            if (member.Name == location || member is ICompositeStore composite && MemberAt(composite.MemberStores, location) is not null)
                return member;
        }
        return null;
    }
}
