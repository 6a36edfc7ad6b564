using Bunker.Client.Files.Native;
using Bunker.Client.Files.Reading;
using Bunker.Client.Restore;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;

namespace Bunker.Client.Files.Restore;

/// <summary>
/// Restores a files snapshot into a directory: in parallel, with positional writes and holes, safe against
/// a hostile catalog (nothing is ever written outside the target), resumable, and optionally verified.
/// </summary>
public static class FileRestore
{
    /// <summary>Most concurrent streams a restore asks for.</summary>
    public const int MaxParallel = 64;

    /// <summary>
    /// Restores <paramref name="snapshot"/> (source kind "files") into <paramref name="request"/>'s target.
    /// Entries that cannot be written are warnings in the result; a catalog that is malformed or tries to
    /// leave the target stops the restore with <see cref="InvalidDataException"/> naming the entry.
    /// </summary>
    /// <param name="client">For the catalog, the payload index and locating chunks.</param>
    /// <param name="openChannel">Opens the further channels the parallel chunk streams run on.</param>
    /// <exception cref="ArgumentException">A bad include or parallelism.</exception>
    /// <exception cref="InvalidDataException">The snapshot is not a files snapshot, its catalog is refused, a chunk failed verification, or --verify found files that differ.</exception>
    /// <exception cref="IOException">The target cannot be created or opened.</exception>
    /// <exception cref="RpcException">A call failed.</exception>
    public static async Task<FileRestoreResult> RunAsync(Repository.RepositoryClient client, Func<GrpcChannel> openChannel, string repository,
        SnapshotInfo snapshot, FileRestoreRequest request, CallOptions options, FileProgress? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(openChannel);
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(request.Target, nameof(request));
        if (request.Parallel is < 1 or > MaxParallel)
            throw new ArgumentOutOfRangeException(nameof(request), request.Parallel, $"parallel must be 1 to {MaxParallel}");
        var scope = CatalogScope.From(request.Includes);
        Archive(snapshot, FilesSnapshot.CatalogArchive);
        var payload = Archive(snapshot, FilesSnapshot.PayloadArchive);

        // Either token stops the restore: the caller's options may carry a run's token already.
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(ct, options.CancellationToken);
        ct = cancellation.Token;
        options = options.WithCancellationToken(ct);
        var context = new RestoreContext(progress ?? new FileProgress());
        if (scope.Everything) context.Progress.SetBytesTotal((long)payload.Size);
        System.IO.Directory.CreateDirectory(request.Target);
        using var root = DirectoryHandle.OpenTarget(request.Target);

        await using (var walk = await CatalogWalk.OpenAsync(client, repository, snapshot, scope, options, ct).ConfigureAwait(false))
        {
            using var tree = new TargetTree(root, context);
            var fetcher = new ChunkFetcher(openChannel, options);
            await using var content = new ContentPipeline(client, fetcher, repository, request.Parallel, options, context, ct);
            await new RestorePass(walk, scope, tree, content, context).RunAsync().ConfigureAwait(false);
        }
        if (request.Verify)
        {
            request.BeforeVerify?.Invoke();
            await using var walk = await CatalogWalk.OpenAsync(client, repository, snapshot, scope, options, ct).ConfigureAwait(false);
            await new RestoreVerifier(walk, root, context).RunAsync().ConfigureAwait(false);
        }
        return context.Result();
    }

    /// <exception cref="InvalidDataException">The snapshot lacks the archive.</exception>
    private static ArchiveRef Archive(SnapshotInfo snapshot, string name) => FilesSnapshot.FindArchive(snapshot, name)
        ?? throw new InvalidDataException($"snapshot {Convert.ToHexStringLower(snapshot.Id.Span)} has no '{name}' archive: it is not a files snapshot");
}
