using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Bunker.Chunking;
using Bunker.Client.Backup;
using Bunker.Client.Files.Catalog;
using Bunker.Client.Files.Reading;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;

namespace Bunker.Client.Files.Backup;

/// <summary>
/// Backs up files and directories into a snapshot of source kind "files" with two archives: "catalog" (every entry's
/// metadata, in catalog order) and "payload" (regular files' contents, each on its own run of chunks).
/// </summary>
/// <remarks>
/// Two tasks share the work: the scanner walks, reads and chunks; the writer hashes and hands chunks and entries to
/// the uploader, whose own workers compress and send. A bounded channel and two byte budgets keep memory flat.
/// With a parent snapshot (the latest one of the same host and roots, unless told otherwise) the parent's catalog
/// and payload index are read forward beside the walk, and unchanged files are carried over without being read.
/// </remarks>
public static class FileBackup
{
    // Payload chunks queued between the scanner and the writer; the uploader holds its own 64 MiB behind that.
    private const long ReaderBudgetBytes = 16L << 20;
    private const int QueuedItems = 1024;

    /// <exception cref="ArgumentException">The request is malformed: no path, a bad exclude pattern, an unreadable exclude file, a parent that is not a files snapshot.</exception>
    /// <exception cref="RpcException">The server refused a call, or went away; the chunks uploaded so far are kept for the next run.</exception>
    /// <exception cref="InvalidDataException">The parent snapshot cannot be read; <see cref="FileBackupRequest.Force"/> backs up without it.</exception>
    public static async Task<FileBackupResult> RunAsync(Repository.RepositoryClient client, string repository, FileBackupRequest request,
        CallOptions options, FileProgress? progress = null, CancellationToken cancellationToken = default)
    {
        try
        {
            return await RunOnceAsync(client, repository, request, options, progress, cancellationToken).ConfigureAwait(false);
        }
        catch (ParentDamagedException e) when (!request.Force)
        {
            // The parent names a chunk the repository no longer holds (a check dropped it as damaged, or its pack was
            // lost). Trusting the parent cannot make a whole snapshot, so every file is read again: the new snapshot is
            // whole, and the chunks the damage took are stored anew, which is what heals the repository.
            progress?.Restart();
            var result = await RunOnceAsync(client, repository, request with { Force = true }, options, progress, cancellationToken).ConfigureAwait(false);
            return result with { ParentDamaged = e.Message };
        }
    }

    /// <summary>A chunk the parent snapshot refers to is missing from the repository.</summary>
    private sealed class ParentDamagedException(string message) : Exception(message);

    private static async Task<FileBackupResult> RunOnceAsync(Repository.RepositoryClient client, string repository, FileBackupRequest request,
        CallOptions options, FileProgress? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(request);
        var roots = BackupRoots.Create(request.Paths);
        var excludes = ExcludeFilter.Create(request.Excludes, request.ExcludeFiles);
        var walkers = new TreeWalkerFactory(roots, excludes, request.OneFileSystem);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken, cancellationToken);
        var callOptions = options.WithCancellationToken(stop.Token);
        var parent = await FindParentAsync(client, repository, request, roots.SourceId, callOptions).ConfigureAwait(false);

        var start = new BackupStart
        {
            Repository = repository,
            SourceKind = FilesSnapshot.Kind,
            Host = request.Host,
            SourceId = roots.SourceId,
            TimeUnixNanos = UnixNanosNow(),
        };
        start.Paths.Add(roots.Texts);
        start.Tags.Add(request.Tags);
        if (parent is not null) start.ParentId = parent.Id;

        Task? count = progress is null ? null : Task.Run(() => CountTotals(walkers, progress, stop.Token), stop.Token);
        try
        {
            await using var parentCatalog = parent is null ? null
                : await ParentCatalog.OpenAsync(client, repository, parent, callOptions, stop.Token).ConfigureAwait(false);
            await using var uploader = await BackupUploader.StartAsync(client, start, callOptions, request.Uploader).ConfigureAwait(false);
            try
            {
                var scanned = await UploadAsync(walkers, parentCatalog, uploader, request, progress, stop).ConfigureAwait(false);
                var snapshot = await uploader.CommitAsync(stop.Token).ConfigureAwait(false);
                return new FileBackupResult(snapshot, parent is null ? null : Convert.ToHexStringLower(parent.Id.Span), scanned.Warnings,
                    scanned.FilesNew, scanned.FilesChanged, scanned.FilesUnchanged, scanned.Directories, scanned.BytesRead, uploader.Statistics)
                {
                    LeftOut = scanned.LeftOut,
                };
            }
            catch (KnownChunkMissingException e)
            {
                await uploader.AbortAsync("a chunk of the parent snapshot is missing").ConfigureAwait(false);
                var id = Convert.ToHexStringLower(parent!.Id.Span);
                throw new ParentDamagedException($"{e.Message}: the parent snapshot {id[..8]} refers to it, so the parent is damaged ('bunker check' tells more)");
            }
            catch (Exception e)
            {
                await uploader.AbortAsync(e is OperationCanceledException ? "cancelled" : "the backup failed: " + e.Message).ConfigureAwait(false);
                throw;
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false); // ends the count if it still runs
            if (count is not null) await count.ContinueWith(static _ => { }, TaskScheduler.Default).ConfigureAwait(false);
        }
    }

    private static async Task<FileScanner> UploadAsync(TreeWalkerFactory walkers, ParentCatalog? parent, BackupUploader uploader,
        FileBackupRequest request, FileProgress? progress, CancellationTokenSource stop)
    {
        // Both archives are declared first, so that a snapshot of no regular file still has its (empty) payload.
        await uploader.AddArchiveAsync(FilesSnapshot.CatalogArchive).ConfigureAwait(false);
        await uploader.AddArchiveAsync(FilesSnapshot.PayloadArchive).ConfigureAwait(false);

        var items = Channel.CreateBounded<BackupItem>(new BoundedChannelOptions(QueuedItems) { SingleReader = true, SingleWriter = true });
        var budget = new ByteBudget(ReaderBudgetBytes);
        var boundary = new FastCdcChunker();
        await using var catalogStream = ChunkingArchiveStream.For(uploader, FilesSnapshot.CatalogArchive, boundary);
        // The header carries no time: the snapshot has it, and a per-run value would make every catalog's first chunk new.
        var header = new CatalogHeader { Version = CatalogReader.Version };
        foreach (var root in walkers.Roots.Absolute) header.Roots.Add(Google.Protobuf.ByteString.CopyFrom(root));
        var catalog = new CatalogWriter(catalogStream, header);

        var scanner = new FileScanner(walkers, parent, items.Writer, budget, boundary, progress, request.BeforeOpen);
        var scanning = Task.Run(async () =>
        {
            try
            {
                await scanner.ScanAsync(stop.Token).ConfigureAwait(false);
                items.Writer.Complete();
            }
            catch (Exception e)
            {
                items.Writer.TryComplete(e);
                throw;
            }
        });
        var writing = Task.Run(async () =>
        {
            try
            {
                await SnapshotWriter.WriteAsync(items.Reader, uploader, catalog, catalogStream, budget, stop.Token).ConfigureAwait(false);
            }
            catch
            {
                // The scanner may wait for room in the channel or the budget: wake it.
                await stop.CancelAsync().ConfigureAwait(false);
                budget.Fail(new OperationCanceledException(stop.Token));
                throw;
            }
        });
        try
        {
            await Task.WhenAll(scanning, writing).ConfigureAwait(false);
        }
        catch
        {
            SnapshotWriter.Drain(items.Reader, budget);
            // The cause, not its echo: a writer failure cancels the scanner, a scanner failure ends the writer's input with itself.
            var cause = Cause(scanning) ?? Cause(writing);
            if (cause is not null) ExceptionDispatchInfo.Throw(cause);
            throw;
        }
        return scanner;
    }

    private static Exception? Cause(Task task) =>
        task.IsFaulted && task.Exception!.InnerException is { } e && e is not OperationCanceledException ? e : null;

    private static async Task<SnapshotInfo?> FindParentAsync(Repository.RepositoryClient client, string repository, FileBackupRequest request,
        string sourceId, CallOptions options)
    {
        if (request.Force) return null;
        if (request.Parent is { } wanted)
        {
            var chosen = await client.GetSnapshotAsync(new GetSnapshotRequest { Repository = repository, Snapshot = wanted }, options).ResponseAsync.ConfigureAwait(false);
            if (chosen.SourceKind != FilesSnapshot.Kind)
                throw new ArgumentException($"snapshot {Convert.ToHexStringLower(chosen.Id.Span)} is a '{chosen.SourceKind}' snapshot, so it cannot be the parent of a files backup");
            return chosen;
        }
        try
        {
            return await client.GetSnapshotAsync(new GetSnapshotRequest
            {
                Repository = repository,
                Snapshot = "latest",
                Host = request.Host,
                SourceKind = FilesSnapshot.Kind,
                SourceId = sourceId,
            }, options).ResponseAsync.ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return null; // the first backup of these paths from this host
        }
    }

    /// <summary>The progress bar's totals: a walk that only stats, beside the backup. Its warnings are the backup's to give.</summary>
    private static void CountTotals(TreeWalkerFactory walkers, FileProgress progress, CancellationToken cancellationToken)
    {
        long files = 0, bytes = 0;
        var linked = new HashSet<(ulong, ulong)>();
        foreach (var found in walkers.Create(static (_, _) => { }).Walk(cancellationToken))
        {
            var status = found.Status;
            if (!status.IsRegular || (status.Links > 1 && !linked.Add((status.Device, status.Inode)))) continue;
            files++;
            bytes += status.Size;
        }
        progress.SetTotals(files, bytes);
    }

    private static long UnixNanosNow() => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
}
