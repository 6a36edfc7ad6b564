using Bunker.Index;
using System.Runtime.CompilerServices;

namespace Bunker.Storage.Stores.S3;

/// <summary>
/// One repository's objects in an S3 bucket, under <c>PREFIX/repos/REPOSITORY-ID/</c>: <c>config</c>, <c>owner</c>,
/// <c>packs/ab/abcd…</c> and <c>snapshots/…</c>. Keys use the repository's id, not its tenant and name, so a bucket
/// listing tells nothing of who keeps what; the sealed owner object holds that, for recovery. A PUT is atomic in S3,
/// so an object is whole or absent, as the store contract wants.
/// </summary>
public sealed class S3PackStore : IPackStore
{
    public const string RepositoriesFolder = "repos/";
    private readonly S3Bucket _bucket;
    private readonly string _root;

    public S3PackStore(S3Bucket bucket, RepositoryId repository)
        : this(bucket, bucket.Options.Prefix + RepositoriesFolder + repository.ToString() + "/")
    {
    }

    private S3PackStore(S3Bucket bucket, string root)
    {
        _bucket = bucket;
        _root = root;
    }

    public string Name => _bucket.Name;
    public S3Bucket Bucket => _bucket;

    /// <summary>The repositories a bucket holds, by the id their keys are under (for recovery from the bucket alone).</summary>
    public static async IAsyncEnumerable<RepositoryId> ListRepositoriesAsync(S3Bucket bucket, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string folder = bucket.Options.Prefix + RepositoriesFolder;
        await foreach (var prefix in bucket.ListFoldersAsync(folder, cancellationToken).ConfigureAwait(false))
        {
            string id = prefix[folder.Length..].TrimEnd('/');
            if (Guid.TryParseExact(id, "N", out var guid) && id == guid.ToString("N"))
                yield return new RepositoryId(guid);
        }
    }

    public async Task<string> PutAsync(StoreObjectKind kind, string name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        await _bucket.PutAsync(KeyOf(kind, name), data, cancellationToken).ConfigureAwait(false);
        return Name;
    }

    public async Task<byte[]> ReadAllAsync(StoreObjectKind kind, string name, CancellationToken cancellationToken = default) =>
        await _bucket.ReadAllAsync(KeyOf(kind, name), cancellationToken).ConfigureAwait(false)
            ?? throw new StoreObjectNotFoundException(Name, kind, name);

    public async Task ReadRangeAsync(StoreObjectKind kind, string name, long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        long size = await _bucket.ReadAsync(KeyOf(kind, name), offset, destination, cancellationToken).ConfigureAwait(false)
            ?? throw new StoreObjectNotFoundException(Name, kind, name);
        if (size < offset + destination.Length)
            throw new StoreObjectTruncatedException(Name, kind, name, size, offset + destination.Length);
    }

    public Task<long?> GetSizeAsync(StoreObjectKind kind, string name, CancellationToken cancellationToken = default) =>
        _bucket.SizeAsync(KeyOf(kind, name), cancellationToken);

    public async IAsyncEnumerable<StoreObjectInfo> ListAsync(StoreObjectKind kind, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (kind == StoreObjectKind.Config)
        {
            foreach (var name in ObjectNames.ConfigNames)
            {
                if (await GetSizeAsync(kind, name, cancellationToken).ConfigureAwait(false) is { } size)
                    yield return new StoreObjectInfo(name, size, Name);
            }
            yield break;
        }
        string folder = _root + FolderOf(kind);
        await foreach (var (key, size) in _bucket.ListAsync(folder, cancellationToken).ConfigureAwait(false))
        {
            string name = key[(key.LastIndexOf('/') + 1)..];
            // Anything not laid out like an object of ours (an operator's stray upload) is not reported.
            if (ObjectNames.IsValid(kind, name) && key == KeyOf(kind, name))
                yield return new StoreObjectInfo(name, size, Name);
        }
    }

    public Task DeleteAsync(StoreObjectKind kind, string name, CancellationToken cancellationToken = default) =>
        _bucket.DeleteAsync(KeyOf(kind, name), cancellationToken);

    public async Task ProbeAsync(CancellationToken cancellationToken = default) =>
        await _bucket.SizeAsync(_root + ObjectNames.ConfigName, cancellationToken).ConfigureAwait(false);

    private string KeyOf(StoreObjectKind kind, string name)
    {
        ObjectNames.Validate(kind, name);
        return kind switch
        {
            StoreObjectKind.Config => _root + name,
            StoreObjectKind.Pack => _root + "packs/" + name[..2] + "/" + name,
            StoreObjectKind.Snapshot => _root + "snapshots/" + name,
            StoreObjectKind.Quarantine => _root + "quarantine/" + name,
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
    }

    private static string FolderOf(StoreObjectKind kind) => kind switch
    {
        StoreObjectKind.Pack => "packs/",
        StoreObjectKind.Quarantine => "quarantine/",
        _ => "snapshots/",
    };
}
