using System.Collections.Concurrent;
using Bunker.Client.Files.Native;
using Bunker.Client.Vm.Nbd;
using Microsoft.Win32.SafeHandles;

namespace Bunker.Client.Vm;

/// <summary>Where a disk is restored to: positional writes from any thread, then the holes, then a flush.</summary>
internal interface IDiskTarget : IAsyncDisposable
{
    /// <summary>Writes <paramref name="data"/> at <paramref name="offset"/>; called concurrently by the fetch streams.</summary>
    void Write(long offset, ReadOnlySpan<byte> data);

    /// <summary>Makes the holes read as zeros where the target does not already; returns the bytes it had to zero.</summary>
    Task<long> ZeroHolesAsync(IReadOnlyList<(long Offset, long Length)> holes, bool knownZeroed, CancellationToken cancellationToken);

    /// <summary>Makes everything written durable.</summary>
    void Flush();

    /// <summary>Undoes what a failed restore left, where that can be done: a file it created is removed.</summary>
    void Discard();
}

/// <summary>Opens the target of <c>restore vm --to</c>: an nbd:// URI, a block device, or a new file.</summary>
internal static class DiskTargets
{
    public static async Task<IDiskTarget> OpenAsync(string target, long size, int parallel, CancellationToken cancellationToken)
    {
        if (target.StartsWith("nbd://", StringComparison.Ordinal) || target.StartsWith("nbd+unix://", StringComparison.Ordinal) || target.StartsWith("nbds", StringComparison.Ordinal))
            return await NbdDiskTarget.OpenAsync(target, size, parallel, cancellationToken).ConfigureAwait(false);
        return FileDiskTarget.Open(Path.GetFullPath(target), size);
    }
}

/// <summary>A new sparse image file at the disk's size (never an existing one), or an existing block device at least that big.</summary>
internal sealed class FileDiskTarget : IDiskTarget
{
    private const int SeekEnd = 2;
    private readonly SafeFileHandle _file;
    private readonly string _path;
    private readonly bool _device;

    private FileDiskTarget(SafeFileHandle file, string path, bool device)
    {
        _file = file;
        _path = path;
        _device = device;
    }

    public static FileDiskTarget Open(string path, long size)
    {
        if (File.Exists(path))
        {
            var status = NativeFiles.StatFollowing(System.Text.Encoding.UTF8.GetBytes(path));
            if (status.Type != Protocol.V1.EntryType.BlockDevice)
                throw new UsageException($"{path} exists; a restore writes a new image file, a block device or an NBD export");
            var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            long end = LibC.LSeek((int)handle.DangerousGetHandle(), 0, SeekEnd);
            if (end < size)
            {
                handle.Dispose();
                throw new UsageException($"{path} holds {end} bytes; the disk is {size}");
            }
            return new FileDiskTarget(handle, path, device: true);
        }
        if (Directory.Exists(path)) throw new UsageException($"{path} is a directory; give the image file to write");
        try
        {
            var file = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
            RandomAccess.SetLength(file, size);
            return new FileDiskTarget(file, path, device: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CommandFailedException($"{path}: {e.Message}");
        }
    }

    public void Write(long offset, ReadOnlySpan<byte> data) => RandomAccess.Write(_file, data, offset);

    public async Task<long> ZeroHolesAsync(IReadOnlyList<(long Offset, long Length)> holes, bool knownZeroed, CancellationToken cancellationToken)
    {
        // A new file is all holes already; a device reads as zeros only if the caller knows it does.
        if (!_device || knownZeroed) return 0;
        var zeros = new byte[VmSnapshots.ChunkSize];
        long written = 0;
        foreach (var (offset, length) in holes)
        {
            for (long done = 0; done < length; done += zeros.Length)
            {
                int n = (int)Math.Min(zeros.Length, length - done);
                await RandomAccess.WriteAsync(_file, zeros.AsMemory(0, n), offset + done, cancellationToken).ConfigureAwait(false);
                written += n;
            }
        }
        return written;
    }

    public void Flush()
    {
        using var stream = new FileStream(_file, FileAccess.ReadWrite, bufferSize: 0);
        stream.Flush(flushToDisk: true);
    }

    public void Discard()
    {
        // A half-written image must not pass for a restore; a device is the operator's and stays.
        if (!_device) File.Delete(_path);
    }

    public ValueTask DisposeAsync()
    {
        _file.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// A writable NBD export (qemu-nbd on a new image, nbdkit, a VM's disk being prepared): chunks are written over a few
/// connections when the server allows several (NBD_FLAG_CAN_MULTI_CONN), one otherwise. Holes are written with
/// WRITE_ZEROES, except where the export's base:allocation already reports zeros.
/// </summary>
internal sealed class NbdDiskTarget : IDiskTarget
{
    private const int MaxConnections = 4;
    private readonly List<NbdClient> _clients;
    private readonly BlockingCollection<NbdClient> _idle = [];

    private NbdDiskTarget(List<NbdClient> clients)
    {
        _clients = clients;
        foreach (var client in clients) _idle.Add(client);
    }

    public static async Task<NbdDiskTarget> OpenAsync(string uri, long size, int parallel, CancellationToken cancellationToken)
    {
        NbdAddress address;
        try
        {
            address = NbdAddress.Parse(uri);
        }
        catch (FormatException e)
        {
            throw new UsageException($"'{uri}': {e.Message}");
        }
        var clients = new List<NbdClient>();
        try
        {
            var first = await NbdClient.ConnectAsync(address, [NbdProtocol.AllocationContext], cancellationToken).ConfigureAwait(false);
            clients.Add(first);
            if (first.IsReadOnly) throw new CommandFailedException($"{uri} is read-only");
            if (first.Size < size) throw new CommandFailedException($"{uri} holds {first.Size} bytes; the disk is {size}");
            int count = first.CanMultiConnect ? Math.Clamp(parallel, 1, MaxConnections) : 1;
            while (clients.Count < count)
                clients.Add(await NbdClient.ConnectAsync(address, [], cancellationToken).ConfigureAwait(false));
            return new NbdDiskTarget(clients);
        }
        catch (Exception e) when (e is NbdException or IOException or System.Net.Sockets.SocketException)
        {
            foreach (var client in clients) client.Dispose();
            throw new CommandFailedException($"{uri}: {e.Message}");
        }
        catch
        {
            foreach (var client in clients) client.Dispose();
            throw;
        }
    }

    public void Write(long offset, ReadOnlySpan<byte> data)
    {
        var client = _idle.Take();
        try
        {
            client.Write(offset, data);
        }
        finally
        {
            _idle.Add(client);
        }
    }

    public async Task<long> ZeroHolesAsync(IReadOnlyList<(long Offset, long Length)> holes, bool knownZeroed, CancellationToken cancellationToken)
    {
        if (knownZeroed || holes.Count == 0) return 0;
        var client = _clients[0];
        bool canAsk = client.MetaContexts.Contains(NbdProtocol.AllocationContext);
        long zeroed = 0;
        foreach (var (offset, length) in holes)
        {
            cancellationToken.ThrowIfCancellationRequested();
            IReadOnlyList<NbdExtent> extents = canAsk
                ? await client.BlockStatusAsync(NbdProtocol.AllocationContext, offset, length, cancellationToken).ConfigureAwait(false)
                : [new NbdExtent(offset, length, 0)];
            foreach (var extent in extents)
            {
                if ((extent.Flags & NbdProtocol.StateZero) != 0) continue; // it already reads as zeros
                await Task.Run(() => client.WriteZeroes(extent.Offset, extent.Length), cancellationToken).ConfigureAwait(false);
                zeroed += extent.Length;
            }
        }
        return zeroed;
    }

    public void Flush()
    {
        foreach (var client in _clients) client.Flush();
    }

    public void Discard()
    {
        // An export is not ours to remove.
    }

    public ValueTask DisposeAsync()
    {
        foreach (var client in _clients) client.Dispose();
        _idle.Dispose();
        return ValueTask.CompletedTask;
    }
}
