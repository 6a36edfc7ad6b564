using System.Buffers;
using System.Globalization;
using Bunker.Client.Backup;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;

namespace Bunker.Client.Vm;

/// <summary>One disk of a VM backup: its name in the snapshot and where it is read from.</summary>
internal sealed record DiskSpec(string Name, string Source);

internal sealed record VmBackupRequest
{
    public required IReadOnlyList<DiskSpec> Disks { get; init; }
    public required string VmId { get; init; }
    public required string Host { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    /// <summary>A qemu dirty bitmap that tracks changes since the parent snapshot (NBD sources only).</summary>
    public string? DirtyBitmap { get; init; }
}

/// <summary>What one disk's backup did: chunks sent as data, holes recorded, bytes actually read.</summary>
internal sealed record DiskBackupResult(string Name, long Size, string Format, long DataChunks, long HoleChunks, long ReusedChunks, long BytesRead, string Bitmap);

internal sealed record VmBackupResult(SnapshotInfo Snapshot, IReadOnlyList<DiskBackupResult> Disks, BackupUploadStatistics Upload, IReadOnlyList<string> Warnings);

/// <summary>
/// <c>bunker backup vm</c>: each disk becomes an archive of fixed, offset-aligned 4 MiB chunks. Ranges the source
/// reports as holes are never read; a chunk that is all zeros (read or not) is recorded as a hole and never sent.
/// Everything else is offered by digest, so an unchanged chunk costs a hash, not an upload.
/// </summary>
internal static class VmBackup
{
    public static async Task<VmBackupResult> RunAsync(Repository.RepositoryClient client, string repository, VmBackupRequest request,
        Func<DiskSpec, Task<IDiskSource>> open, CallOptions options, Action<long>? progress, CancellationToken cancellationToken)
    {
        var sources = new List<IDiskSource>(request.Disks.Count);
        try
        {
            foreach (var disk in request.Disks) sources.Add(await open(disk).ConfigureAwait(false));
            var warnings = new List<string>();
            var changed = new ChangedBlocks?[sources.Count];
            var bitmaps = new string[sources.Count];
            SnapshotInfo? parent = request.DirtyBitmap is null ? null : await ParentAsync(client, repository, request, options, cancellationToken).ConfigureAwait(false);
            for (int i = 0; i < sources.Count; i++)
            {
                bitmaps[i] = "";
                if (request.DirtyBitmap is not { } bitmap) continue;
                if (sources[i] is not NbdDiskSource nbd)
                {
                    warnings.Add($"disk {request.Disks[i].Name}: --dirty-bitmap needs an NBD source; read in full");
                    continue;
                }
                if (nbd.Client.MetaContexts.Contains(ChangedBlocks.Context(bitmap))) bitmaps[i] = bitmap;
                var (blocks, reason) = await ChangedBlocks.TryLoadAsync(client, repository, parent, request.Disks[i].Name, bitmap, nbd, cancellationToken, options).ConfigureAwait(false);
                changed[i] = blocks;
                if (blocks is null) warnings.Add($"disk {request.Disks[i].Name}: dirty bitmap '{bitmap}' not used, read in full: {reason}");
            }
            var start = new BackupStart
            {
                Repository = repository,
                SourceKind = VmSnapshots.Kind,
                Host = request.Host,
                SourceId = request.VmId,
                TimeUnixNanos = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100,
            };
            start.Tags.AddRange(request.Tags);
            if (parent is not null && Array.Exists(changed, c => c is not null)) start.ParentId = parent.Id;
            for (int i = 0; i < sources.Count; i++)
            {
                var name = request.Disks[i].Name;
                start.Paths.Add($"{name}={request.Disks[i].Source}");
                start.Labels[VmSnapshots.SizeLabel(name)] = sources[i].Size.ToString(CultureInfo.InvariantCulture);
                start.Labels[VmSnapshots.FormatLabel(name)] = sources[i].Format;
                start.Labels[VmSnapshots.BitmapLabel(name)] = bitmaps[i];
            }

            await using var uploader = await BackupUploader.StartAsync(client, start, options).ConfigureAwait(false);
            var results = new List<DiskBackupResult>(sources.Count);
            long done = 0;
            try
            {
                for (int i = 0; i < sources.Count; i++)
                {
                    results.Add(await BackupDiskAsync(uploader, request.Disks[i].Name, sources[i], changed[i], bitmaps[i], read => progress?.Invoke(done += read), cancellationToken).ConfigureAwait(false));
                }
            }
            catch
            {
                await uploader.AbortAsync("the disk backup failed").ConfigureAwait(false);
                throw;
            }
            var snapshot = await uploader.CommitAsync(cancellationToken).ConfigureAwait(false);
            return new VmBackupResult(snapshot, results, uploader.Statistics, warnings);
        }
        finally
        {
            foreach (var source in sources) await source.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The newest vm snapshot of the same host and VM: what a dirty bitmap's changes are relative to.</summary>
    private static async Task<SnapshotInfo?> ParentAsync(Repository.RepositoryClient client, string repository, VmBackupRequest request, CallOptions options,
        CancellationToken cancellationToken)
    {
        try
        {
            return await client.GetSnapshotAsync(new GetSnapshotRequest
            {
                Repository = repository, Snapshot = "latest", Host = request.Host, SourceKind = VmSnapshots.Kind, SourceId = request.VmId,
            }, options.WithCancellationToken(cancellationToken)).ResponseAsync.ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }

    private static async Task<DiskBackupResult> BackupDiskAsync(BackupUploader uploader, string name, IDiskSource source, ChangedBlocks? changed, string bitmap,
        Action<long> progress, CancellationToken cancellationToken)
    {
        string archive = VmSnapshots.Archive(name);
        await uploader.AddArchiveAsync(archive).ConfigureAwait(false);
        var extents = await source.DataExtentsAsync(cancellationToken).ConfigureAwait(false);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(VmSnapshots.ChunkSize);
        long dataChunks = 0, holeChunks = 0, reusedChunks = 0, bytesRead = 0;
        int extent = 0;
        try
        {
            for (long offset = 0; offset < source.Size; offset += VmSnapshots.ChunkSize)
            {
                int length = (int)Math.Min(VmSnapshots.ChunkSize, source.Size - offset);
                if (changed is not null && !changed.IsDirty(offset, length))
                {
                    // Unchanged since the parent: its entry, by digest, unread.
                    var known = changed.ParentChunk(offset / VmSnapshots.ChunkSize);
                    if (known.IsHole) await uploader.AddHoleAsync(archive, length, cancellationToken).ConfigureAwait(false);
                    else await uploader.AddKnownChunkAsync(archive, known, length, cancellationToken).ConfigureAwait(false);
                    reusedChunks++;
                    progress(length);
                    continue;
                }
                var chunk = buffer.AsMemory(0, length);
                // Extents are in order: skip those that end before this chunk, then read what overlaps it.
                while (extent < extents.Count && extents[extent].Offset + extents[extent].Length <= offset) extent++;
                bool any = false;
                for (int e = extent; e < extents.Count && extents[e].Offset < offset + length; e++)
                {
                    long from = Math.Max(offset, extents[e].Offset);
                    long to = Math.Min(offset + length, extents[e].Offset + extents[e].Length);
                    if (!any) chunk.Span.Clear();
                    any = true;
                    await source.ReadAsync(from, chunk.Slice((int)(from - offset), (int)(to - from)), cancellationToken).ConfigureAwait(false);
                    bytesRead += to - from;
                }
                if (!any || chunk.Span.IndexOfAnyExcept((byte)0) < 0)
                {
                    await uploader.AddHoleAsync(archive, length, cancellationToken).ConfigureAwait(false);
                    holeChunks++;
                }
                else
                {
                    await uploader.AddChunkAsync(archive, chunk, cancellationToken).ConfigureAwait(false);
                    dataChunks++;
                }
                progress(length);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return new DiskBackupResult(name, source.Size, source.Format, dataChunks, holeChunks, reusedChunks, bytesRead, bitmap);
    }
}
