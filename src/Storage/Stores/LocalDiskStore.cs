using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Bunker.Storage.Stores;

/// <summary>
/// A store on a local filesystem:
/// <c>config</c>, <c>packs/ab/abcd…</c> (256 shards keep directories small at millions of packs),
/// <c>snapshots/…</c> and <c>tmp/</c> for writes in flight.
/// A write goes to tmp, is fsynced, renamed into place, and the directory is fsynced, so after a
/// crash an object is either whole under its name or absent; leftovers in tmp are swept at open.
/// </summary>
public sealed partial class LocalDiskStore : IPackStore
{
    private const string TempFolder = "tmp";
    private readonly string _root;

    private LocalDiskStore(string root, string name)
    {
        _root = root;
        Name = name;
    }

    public string Name { get; }
    public string Root => _root;

    /// <summary>What <see cref="Open"/> found left over from writes that never finished.</summary>
    public TemporarySweep LastSweep { get; private set; }

    /// <summary>
    /// Opens (creating if needed) a store at <paramref name="root"/> and removes temporary files
    /// left by writes that a crash interrupted. Only one process may write a store root at a time.
    /// </summary>
    public static LocalDiskStore Open(string root, string name = "local")
    {
        root = Path.GetFullPath(root);
        Directory.CreateDirectory(root);
        foreach (var folder in new[] { TempFolder, "packs", "snapshots", "quarantine" })
            Directory.CreateDirectory(Path.Combine(root, folder));
        var store = new LocalDiskStore(root, name);
        store.LastSweep = store.SweepTemporaryFiles();
        return store;
    }

    public async Task<string> PutAsync(StoreObjectKind kind, string name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        string final = PathOf(kind, name);
        string folder = Path.GetDirectoryName(final)!;
        bool newFolder = !Directory.Exists(folder);
        if (newFolder)
            Directory.CreateDirectory(folder);

        string temp = Path.Combine(_root, TempFolder, $"{name}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var handle = File.OpenHandle(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileOptions.None, data.Length))
            {
                await RandomAccess.WriteAsync(handle, data, 0, cancellationToken).ConfigureAwait(false);
                RandomAccess.FlushToDisk(handle);
            }
            File.Move(temp, final, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
        SyncDirectory(folder);
        if (newFolder)
            SyncDirectory(Path.GetDirectoryName(folder)!);
        return Name;
    }

    public async Task<byte[]> ReadAllAsync(StoreObjectKind kind, string name, CancellationToken cancellationToken = default)
    {
        using var handle = OpenForRead(kind, name);
        long length = RandomAccess.GetLength(handle);
        if (length > Array.MaxLength)
            throw new StoreException($"{kind.ToString().ToLowerInvariant()} {name} is too large to read whole ({length} bytes)");
        var buffer = new byte[length];
        await ReadExactlyAsync(handle, kind, name, 0, buffer, length, cancellationToken).ConfigureAwait(false);
        return buffer;
    }

    public async Task ReadRangeAsync(StoreObjectKind kind, string name, long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        using var handle = OpenForRead(kind, name);
        await ReadExactlyAsync(handle, kind, name, offset, destination, RandomAccess.GetLength(handle), cancellationToken).ConfigureAwait(false);
    }

    public Task<long?> GetSizeAsync(StoreObjectKind kind, string name, CancellationToken cancellationToken = default)
    {
        var info = new FileInfo(PathOf(kind, name));
        return Task.FromResult(info.Exists ? info.Length : (long?)null);
    }

    public async IAsyncEnumerable<StoreObjectInfo> ListAsync(StoreObjectKind kind, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        if (kind == StoreObjectKind.Config)
        {
            foreach (var name in ObjectNames.ConfigNames)
            {
                var config = new FileInfo(PathOf(kind, name));
                if (config.Exists)
                    yield return new StoreObjectInfo(name, config.Length, Name);
            }
            yield break;
        }
        string folder = Path.Combine(_root, FolderOf(kind));
        if (!Directory.Exists(folder))
            yield break;
        var search = new EnumerationOptions { RecurseSubdirectories = kind == StoreObjectKind.Pack, MaxRecursionDepth = 1 };
        foreach (var file in new DirectoryInfo(folder).EnumerateFiles("*", search))
        {
            cancellationToken.ThrowIfCancellationRequested();
            // Anything not named like an object (an operator's stray file) is not ours to report.
            if (ObjectNames.IsValid(kind, file.Name) && file.FullName == PathOf(kind, file.Name))
                yield return new StoreObjectInfo(file.Name, file.Length, Name);
        }
    }

    public Task DeleteAsync(StoreObjectKind kind, string name, CancellationToken cancellationToken = default)
    {
        string path = PathOf(kind, name);
        File.Delete(path);
        SyncDirectory(Path.GetDirectoryName(path)!);
        return Task.CompletedTask;
    }

    /// <summary>Removes the temporary files that interrupted writes left, and says how many and how large.</summary>
    public TemporarySweep SweepTemporaryFiles()
    {
        int count = 0;
        long bytes = 0;
        foreach (var file in new DirectoryInfo(Path.Combine(_root, TempFolder)).EnumerateFiles())
        {
            count++;
            bytes += file.Length;
            file.Delete();
        }
        return new TemporarySweep(count, bytes);
    }

    private string PathOf(StoreObjectKind kind, string name)
    {
        ObjectNames.Validate(kind, name);
        return kind switch
        {
            StoreObjectKind.Config => Path.Combine(_root, name),
            StoreObjectKind.Pack => Path.Combine(_root, "packs", name[..2], name),
            StoreObjectKind.Snapshot => Path.Combine(_root, "snapshots", name),
            StoreObjectKind.Quarantine => Path.Combine(_root, "quarantine", name),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
    }

    private static string FolderOf(StoreObjectKind kind) => kind switch
    {
        StoreObjectKind.Pack => "packs",
        StoreObjectKind.Quarantine => "quarantine",
        _ => "snapshots",
    };

    private SafeFileHandle OpenForRead(StoreObjectKind kind, string name)
    {
        try
        {
            return File.OpenHandle(PathOf(kind, name), FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new StoreObjectNotFoundException(Name, kind, name);
        }
    }

    private async Task ReadExactlyAsync(SafeFileHandle handle, StoreObjectKind kind, string name, long offset, Memory<byte> destination, long size, CancellationToken cancellationToken)
    {
        long end = offset + destination.Length;
        if (end > size)
            throw new StoreObjectTruncatedException(Name, kind, name, size, end);
        int done = 0;
        while (done < destination.Length)
        {
            int read = await RandomAccess.ReadAsync(handle, destination[done..], offset + done, cancellationToken).ConfigureAwait(false);
            if (read == 0)
                throw new StoreObjectTruncatedException(Name, kind, name, offset + done, end);
            done += read;
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>
    /// A rename is durable only once the directory holding it is fsynced; .NET has no API for
    /// opening a directory, so this goes to libc.
    /// </summary>
    private static void SyncDirectory(string path)
    {
        const int O_RDONLY = 0, O_DIRECTORY = 0x10000, O_CLOEXEC = 0x80000;
        int fd = Open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            throw new IOException($"cannot open directory {path} to sync it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (FSync(fd) != 0)
                throw new IOException($"fsync of directory {path} failed (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}

/// <summary>Temporary files removed at open: writes that a crash cut short, and their size.</summary>
public readonly record struct TemporarySweep(int Files, long Bytes);
