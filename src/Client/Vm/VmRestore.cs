using System.Globalization;
using Bunker.Chunking;
using Bunker.Client.Connection;
using Bunker.Client.Restore;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;

namespace Bunker.Client.Vm;

internal sealed record VmRestoreRequest
{
    public string? Disk { get; init; }
    public required string Target { get; init; }
    public int Parallel { get; init; } = 8;
    /// <summary>raw, or qcow2 (through qemu-img, which must be installed).</summary>
    public string Format { get; init; } = "raw";
    /// <summary>The target device is known to read as zeros, so holes need not be written to it.</summary>
    public bool TargetZeroed { get; init; }
}

internal sealed record VmRestoreResult(string Disk, long Size, long DataChunks, long HoleBytes, long BytesWritten, ChunkFetchStatistics Fetch);

/// <summary>
/// <c>bunker restore vm</c>: one disk of a vm snapshot written to a new image file or a block device. The disk's
/// distinct chunks are ordered by pack locality and fetched over N streams; each, verified against its digest, is
/// written at every offset where the disk holds it (positional writes, in whatever order chunks arrive). Holes are
/// left unwritten in a fresh file (it is sparse) and written as zeros on a device unless it is known to be zeroed.
/// </summary>
internal static class VmRestore
{
    public static async Task<VmRestoreResult> RunAsync(BunkerConnection connection, string repository, SnapshotInfo snapshot, VmRestoreRequest request,
        CallOptions options, CancellationToken cancellationToken)
    {
        string disk = ChooseDisk(snapshot, request.Disk);
        long size = DiskSize(snapshot, disk);
        var layout = await DiskLayout.ReadAsync(connection.Repository, repository, snapshot.Id, disk, size, options, cancellationToken).ConfigureAwait(false);

        if (request.Format == "qcow2")
        {
            if (IsNbd(request.Target)) throw new UsageException("--format qcow2 writes a new image file; an NBD export has its own format");
            // qemu-img writes the qcow2: the disk goes first to a sparse raw file beside it, which costs only its data.
            string target = Path.GetFullPath(request.Target);
            if (File.Exists(target) || Directory.Exists(target)) throw new UsageException($"{target} exists; a qcow2 restore writes a new file");
            string raw = target + ".bunker-raw";
            try
            {
                var result = await WriteAsync(connection, repository, disk, size, layout, raw, request, options, cancellationToken).ConfigureAwait(false);
                await QemuImg.ConvertToQcow2Async(raw, target, cancellationToken).ConfigureAwait(false);
                return result;
            }
            finally
            {
                File.Delete(raw);
            }
        }
        return await WriteAsync(connection, repository, disk, size, layout, request.Target, request, options, cancellationToken).ConfigureAwait(false);
    }

    public static bool IsNbd(string target) => target.StartsWith("nbd", StringComparison.Ordinal) && target.Contains("://", StringComparison.Ordinal);

    private static async Task<VmRestoreResult> WriteAsync(BunkerConnection connection, string repository, string disk, long size, DiskLayout layout,
        string target, VmRestoreRequest request, CallOptions options, CancellationToken cancellationToken)
    {
        var output = await DiskTargets.OpenAsync(target, size, request.Parallel, cancellationToken).ConfigureAwait(false);
        await using (output.ConfigureAwait(false))
        {
            try
            {
                long written = 0;
                var ordered = await ChunkLocator.OrderByLocalityAsync(connection.Repository, repository, layout.Digests, options, cancellationToken).ConfigureAwait(false);
                var fetcher = new ChunkFetcher(connection.OpenChannel, options);
                var fetch = await fetcher.FetchAsync(repository, ordered, request.Parallel, (in ChunkDigest digest, ReadOnlySpan<byte> raw) =>
                {
                    foreach (long offset in layout.OffsetsOf(digest))
                    {
                        output.Write(offset, raw);
                        Interlocked.Add(ref written, raw.Length);
                    }
                }, cancellationToken).ConfigureAwait(false);
                written += await output.ZeroHolesAsync(layout.Holes, request.TargetZeroed, cancellationToken).ConfigureAwait(false);
                output.Flush();
                return new VmRestoreResult(disk, size, layout.Digests.Count, layout.HoleBytes, written, fetch);
            }
            catch
            {
                output.Discard();
                throw;
            }
        }
    }

    public static string ChooseDisk(SnapshotInfo snapshot, string? disk)
    {
        var disks = VmSnapshots.Disks(snapshot);
        if (disk is not null)
            return disks.Contains(disk) ? disk : throw new CommandFailedException($"the snapshot has no disk '{disk}' (it has: {string.Join(", ", disks)})");
        return disks.Count == 1 ? disks[0] : throw new UsageException($"the snapshot has {disks.Count} disks ({string.Join(", ", disks)}); choose one with --disk");
    }

    public static long DiskSize(SnapshotInfo snapshot, string disk) =>
        snapshot.Manifest.Labels.TryGetValue(VmSnapshots.SizeLabel(disk), out var text) && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long size)
            ? size
            : throw new CommandFailedException($"the snapshot does not record the size of disk '{disk}'");
}
