using System.Threading.Channels;
using Bunker.Client.Backup;
using Bunker.Client.Files.Catalog;
using Bunker.Client.Files.Native;
using Bunker.Client.Restore;
using Bunker.Protocol.V1;
using Google.Protobuf;

namespace Bunker.Client.Files.Backup;

/// <summary>
/// The reading side of a file backup: walks the roots in catalog order, describes each entry, and for each regular
/// file either carries its chunk run over from the parent (unchanged: same type, size, mtime, ctime, inode and device)
/// or reads and chunks it. Emits payload chunks, then the file's catalog entry, in order, into a bounded channel.
/// </summary>
internal sealed class FileScanner
{
    private readonly TreeWalker _walker;
    private readonly EntryMetadata _metadata = new(new OwnerNames());
    private readonly ParentCatalog? _parent;
    private readonly ChannelWriter<BackupItem> _output;
    private readonly ContentReader _content;
    private readonly FileProgress? _progress;
    private readonly Action<string>? _beforeOpen;
    private readonly List<FileWarning> _warnings = [];
    private long _warningsDropped;
    // Only regular files with more than one link are remembered, each by its first path.
    private readonly Dictionary<(ulong Device, ulong Inode), byte[]> _hardlinks = [];
    private readonly List<ArchiveEntry> _run = [];
    private readonly List<(long, long)> _dense = [(0, 0)];
    private long _payloadChunks;
    private long _payloadOffset;

    public FileScanner(TreeWalkerFactory walkers, ParentCatalog? parent, ChannelWriter<BackupItem> output, ByteBudget budget,
        Bunker.Chunking.IChunkBoundary boundary, FileProgress? progress, Action<string>? beforeOpen)
    {
        _walker = walkers.Create(WarnLeftOut);
        _parent = parent;
        _output = output;
        _progress = progress;
        _beforeOpen = beforeOpen;
        _content = new ContentReader(boundary, budget, EmitAsync) { OnRead = OnRead };
    }

    /// <summary>The warnings, at most <see cref="Restore.RestoreContext.MaxWarningsKept"/> of them, then one line counting the rest.</summary>
    public IReadOnlyList<FileWarning> Warnings => _warningsDropped == 0
        ? _warnings
        : [.. _warnings, new FileWarning("...", $"{_warningsDropped} more warnings were not kept")];
    public int LeftOut { get; private set; }
    public long FilesNew { get; private set; }
    public long FilesChanged { get; private set; }
    public long FilesUnchanged { get; private set; }
    public long Directories { get; private set; }
    public long BytesRead { get; private set; }

    public async Task ScanAsync(CancellationToken cancellationToken)
    {
        foreach (var found in _walker.Walk(cancellationToken))
        {
            CatalogEntry entry;
            try
            {
                entry = _metadata.Describe(found, out var warning);
                if (warning is not null) Warn(found.AbsolutePath, warning, leftOut: false);
            }
            catch (FileSystemException e)
            {
                WarnLeftOut(found.AbsolutePath, e.Message);
                continue;
            }
            if (found.Status.IsDirectory) Directories++;
            if (found.Status.IsRegular && !await AddContentAsync(found, entry, cancellationToken).ConfigureAwait(false)) continue;
            await EmitAsync(BackupItem.Of(entry), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Fills in the entry's content: a hardlink to an earlier path, the parent's run, or what is read now. False when the file is left out.</summary>
    private async ValueTask<bool> AddContentAsync(WalkEntry found, CatalogEntry entry, CancellationToken cancellationToken)
    {
        var status = found.Status;
        var identity = (status.Device, status.Inode);
        if (status.Links > 1 && _hardlinks.TryGetValue(identity, out var first))
        {
            entry.HardlinkTarget = ByteString.CopyFrom(first);
            return true;
        }
        var previous = _parent is null ? null : await _parent.FindAsync(found.AbsolutePath.AsMemory(1), cancellationToken).ConfigureAwait(false);
        bool hadFile = previous?.Type == EntryType.File;
        if (hadFile && Unchanged(previous!, status) && await _parent!.TryGetChunkRunAsync(previous!, _run).ConfigureAwait(false))
        {
            await CarryOverAsync(entry, previous!, cancellationToken).ConfigureAwait(false);
            FilesUnchanged++;
            _progress?.AddBytes(status.Size);
        }
        else
        {
            if (!await ReadAsync(found, entry, cancellationToken).ConfigureAwait(false)) return false;
            if (hadFile) FilesChanged++;
            else FilesNew++;
        }
        _progress?.AddFile();
        if (status.Links > 1) _hardlinks[identity] = found.AbsolutePath[1..];
        return true;
    }

    private static bool Unchanged(CatalogEntry previous, in FileStatus now) =>
        previous.Size == (ulong)now.Size
        && previous.MtimeUnixNanos == now.MtimeNanos
        && previous.CtimeUnixNanos == now.CtimeNanos
        && previous.Inode == now.Inode
        && previous.Device == now.Device
        && previous.HardlinkTarget.IsEmpty
        && !previous.ChangedDuringBackup; // its content may be torn: read it again

    private async ValueTask CarryOverAsync(CatalogEntry entry, CatalogEntry previous, CancellationToken cancellationToken)
    {
        entry.PayloadOffset = (ulong)_payloadOffset;
        entry.FirstChunk = (ulong)_payloadChunks;
        entry.ChunkCount = (ulong)_run.Count;
        entry.Extents.Add(previous.Extents);
        foreach (var chunk in _run)
        {
            await EmitAsync(BackupItem.Known(chunk.Digest, chunk.Length), cancellationToken).ConfigureAwait(false);
            _payloadChunks++;
            _payloadOffset += chunk.Length;
        }
    }

    /// <summary>Opens, reads and chunks the file; false (with a warning) when it cannot be read, and it is then left out.</summary>
    private async ValueTask<bool> ReadAsync(WalkEntry found, CatalogEntry entry, CancellationToken cancellationToken)
    {
        var path = found.AbsolutePath;
        _beforeOpen?.Invoke(CatalogPath.Display(path));
        try
        {
            using var file = NativeFiles.OpenForReading(path);
            var before = found.Status;
            var opened = NativeFiles.Fstat(file);
            if (!opened.IsRegular)
            {
                WarnLeftOut(path, "it is no longer a regular file");
                return false;
            }
            if (opened.Inode != before.Inode || opened.Device != before.Device)
            {
                // Replaced between the walk and the open: what we read is the new file, so describe that one.
                _metadata.Refresh(entry, opened);
                before = opened;
            }
            long size = before.Size;
            var extents = before.MayBeSparse ? NativeFiles.DataExtents(file, size) : null;
            bool sparse = extents is not null && !(extents.Count == 1 && extents[0] == (0, size));
            _dense[0] = (0, size);

            entry.PayloadOffset = (ulong)_payloadOffset;
            entry.FirstChunk = (ulong)_payloadChunks;
            _content.ResetCounts();
            long stored;
            try
            {
                stored = await _content.ReadAsync(file, sparse ? extents! : _dense, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                // Chunks handed over stay in the payload even when the read failed half-way; later files count from after them.
                _payloadChunks += _content.Chunks;
            }
            _payloadOffset += stored;
            entry.ChunkCount = (ulong)_content.Chunks;
            long expected = sparse ? Sum(extents!) : size;
            if (sparse) SetExtents(entry, extents!, stored);
            else entry.Size = (ulong)stored;

            var after = NativeFiles.Fstat(file);
            if (stored != expected || after.Size != before.Size || after.MtimeNanos != before.MtimeNanos || after.CtimeNanos != before.CtimeNanos)
            {
                entry.ChangedDuringBackup = true;
                Warn(path, "it changed while it was read; its content in this snapshot may be torn", leftOut: false);
            }
            return true;
        }
        catch (IOException e)
        {
            WarnLeftOut(path, e.Message);
            return false;
        }
        catch (UnauthorizedAccessException e)
        {
            WarnLeftOut(path, e.Message);
            return false;
        }
    }

    /// <summary>The extents as far as they were read. A file of holes only gets one empty extent, since no extent at all would mean "dense".</summary>
    private static void SetExtents(CatalogEntry entry, List<(long Offset, long Length)> extents, long stored)
    {
        long left = stored;
        foreach (var (offset, length) in extents)
        {
            if (left == 0) break;
            long taken = Math.Min(length, left);
            entry.Extents.Add(new Extent { Offset = (ulong)offset, Length = (ulong)taken });
            left -= taken;
        }
        if (entry.Extents.Count == 0) entry.Extents.Add(new Extent { Offset = 0, Length = 0 });
    }

    private static long Sum(List<(long Offset, long Length)> extents)
    {
        long sum = 0;
        foreach (var (_, length) in extents) sum += length;
        return sum;
    }

    private void OnRead(long bytes)
    {
        BytesRead += bytes;
        _progress?.AddBytes(bytes);
    }

    private ValueTask EmitAsync(BackupItem item, CancellationToken cancellationToken) =>
        _output.TryWrite(item) ? default : _output.WriteAsync(item, cancellationToken);

    private void WarnLeftOut(byte[] absolutePath, string message) => Warn(absolutePath, message, leftOut: true);

    private void Warn(byte[] absolutePath, string message, bool leftOut)
    {
        // Bounded like a restore's: a tree of a million unreadable files must not fill memory with their names.
        if (_warnings.Count < Restore.RestoreContext.MaxWarningsKept) _warnings.Add(new FileWarning(CatalogPath.Display(absolutePath), message));
        else _warningsDropped++;
        if (leftOut) LeftOut++;
    }
}

/// <summary>Makes walkers over the same roots and filters: one for the backup, one for the progress count.</summary>
internal sealed class TreeWalkerFactory(BackupRoots roots, ExcludeFilter excludes, bool oneFileSystem)
{
    public BackupRoots Roots => roots;

    public TreeWalker Create(Action<byte[], string> warn) => new(roots, excludes, oneFileSystem, warn);
}
