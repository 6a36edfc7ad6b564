using Bunker.Storage.Stores;

namespace Bunker.Storage.Tests.Repository;

/// <summary>A store that passes every call to a real one; tests override the calls they watch or break.</summary>
internal abstract class DelegatingStore(IPackStore inner) : IPackStore
{
    public string Name => inner.Name;
    public virtual Task<string> PutAsync(StoreObjectKind kind, string name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) => inner.PutAsync(kind, name, data, cancellationToken);
    public virtual Task ReadRangeAsync(StoreObjectKind kind, string name, long offset, Memory<byte> destination, CancellationToken cancellationToken = default) => inner.ReadRangeAsync(kind, name, offset, destination, cancellationToken);
    public Task<byte[]> ReadAllAsync(StoreObjectKind kind, string name, CancellationToken cancellationToken = default) => inner.ReadAllAsync(kind, name, cancellationToken);
    public Task<long?> GetSizeAsync(StoreObjectKind kind, string name, CancellationToken cancellationToken = default) => inner.GetSizeAsync(kind, name, cancellationToken);
    public IAsyncEnumerable<StoreObjectInfo> ListAsync(StoreObjectKind kind, CancellationToken cancellationToken = default) => inner.ListAsync(kind, cancellationToken);
    public Task DeleteAsync(StoreObjectKind kind, string name, CancellationToken cancellationToken = default) => inner.DeleteAsync(kind, name, cancellationToken);
}
