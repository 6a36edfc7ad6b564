using System.Threading.Channels;
using Bunker.Client.Backup;
using Bunker.Client.Wire;
using Bunker.Client.Files.Catalog;
using Bunker.Client.Files.Reading;

namespace Bunker.Client.Files.Backup;

/// <summary>
/// The uploading side of a file backup: takes the reader's items in order and feeds them to the uploader, payload
/// chunks to the payload archive and entries through the catalog writer into the catalog archive. It hashes what it
/// adds (in <see cref="BackupUploader.AddChunkAsync"/>) while the reader goes on reading, so the two share the cores.
/// </summary>
internal static class SnapshotWriter
{
    public static async Task WriteAsync(ChannelReader<BackupItem> items, BackupUploader uploader, CatalogWriter catalog,
        ChunkingArchiveStream catalogStream, ByteBudget readerBudget, CancellationToken cancellationToken)
    {
        await foreach (var item in items.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            switch (item.Kind)
            {
                case BackupItemKind.Payload:
                    try
                    {
                        await uploader.AddChunkAsync(FilesSnapshot.PayloadArchive, item.Buffer.AsMemory(0, item.Length), cancellationToken).ConfigureAwait(false);
                    }
                    finally
                    {
                        Release(item, readerBudget);
                    }
                    break;
                case BackupItemKind.KnownPayload:
                    await uploader.AddKnownChunkAsync(FilesSnapshot.PayloadArchive, item.Digest, item.Length, cancellationToken).ConfigureAwait(false);
                    break;
                case BackupItemKind.Entry:
                    await catalog.WriteAsync(item.Entry!, cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
        await catalog.CompleteAsync(cancellationToken).ConfigureAwait(false);
        await catalogStream.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Returns what items still queued hold, after a failure stopped the writer.</summary>
    public static void Drain(ChannelReader<BackupItem> items, ByteBudget readerBudget)
    {
        while (items.TryRead(out var item)) Release(item, readerBudget);
    }

    private static void Release(in BackupItem item, ByteBudget readerBudget)
    {
        if (item.Buffer is null) return;
        ChunkBuffers.Pool.Return(item.Buffer);
        readerBudget.Release(item.Length);
    }
}
