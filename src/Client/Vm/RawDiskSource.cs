using Bunker.Client.Files.Native;
using Bunker.Protocol.V1;
using Microsoft.Win32.SafeHandles;

namespace Bunker.Client.Vm;

/// <summary>
/// A raw image file or a block device. Holes in a sparse file are found with SEEK_DATA/SEEK_HOLE and never
/// read; a block device reports none, so all of it is read (all-zero chunks still become holes).
/// </summary>
internal sealed class RawDiskSource : IDiskSource
{
    private const int SeekEnd = 2;
    private readonly SafeFileHandle _file;
    private readonly bool _device;

    private RawDiskSource(SafeFileHandle file, long size, bool device)
    {
        _file = file;
        Size = size;
        _device = device;
    }

    public long Size { get; }
    public string Format => _device ? "block" : "raw";

    /// <summary>Opens <paramref name="path"/> (following a symlink, as /dev/disk/by-id names are); only a regular file or a block device.</summary>
    public static RawDiskSource Open(string path)
    {
        // The type first: opening a directory fails with a less useful "access denied".
        if (Directory.Exists(path))
            throw new UsageException($"{path} is a Directory; a disk is a raw image file, a block device or an nbd:// URI");
        SafeFileHandle file;
        try
        {
            file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CommandFailedException($"{path}: {e.Message}");
        }
        try
        {
            var status = NativeFiles.Fstat(file);
            if (status.Type is not (EntryType.File or EntryType.BlockDevice))
                throw new UsageException($"{path} is a {status.Type}; a disk is a raw image file, a block device or an nbd:// URI");
            bool device = status.Type == EntryType.BlockDevice;
            // A block device has no size in its status: its end is where lseek finds it.
            long size = device ? LibC.LSeek((int)file.DangerousGetHandle(), 0, SeekEnd) : status.Size;
            if (size < 0) throw new CommandFailedException($"{path}: cannot tell the block device's size");
            return new RawDiskSource(file, size, device);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public Task<IReadOnlyList<(long Offset, long Length)>> DataExtentsAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<(long, long)> extents = _device ? [(0, Size)] : NativeFiles.DataExtents(_file, Size) ?? [(0, Size)];
        return Task.FromResult(extents);
    }

    public async ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        while (!destination.IsEmpty)
        {
            int n = await RandomAccess.ReadAsync(_file, destination, offset, cancellationToken).ConfigureAwait(false);
            if (n == 0) throw new CommandFailedException($"the disk ended at {offset}, before its size {Size}: it shrank while it was read");
            destination = destination[n..];
            offset += n;
        }
    }

    public ValueTask DisposeAsync()
    {
        _file.Dispose();
        return ValueTask.CompletedTask;
    }
}
