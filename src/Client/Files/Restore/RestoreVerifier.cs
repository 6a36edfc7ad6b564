using Bunker.Chunking;
using Bunker.Client.Files.Catalog;
using Bunker.Client.Files.Native;

namespace Bunker.Client.Files.Restore;

/// <summary>
/// --verify: a second walk of the catalog that reads every restored regular file back from the target and
/// hashes it chunk by chunk, as the payload cut it, against the snapshot's digests. Files already named in
/// a warning are not checked again.
/// </summary>
internal sealed class RestoreVerifier(CatalogWalk walk, DirectoryHandle root, RestoreContext context)
{
    /// <summary>Mismatches named in the error, at most; the count says how many there were.</summary>
    private const int MaxNamed = 20;

    private readonly List<Segment> _segments = [];
    // One buffer for the run, grown to the largest chunk met (1 MiB on average, 8 MiB at most by default). Not
    // from the shared pool, which would keep a chunk-sized array per thread long after the restore.
    private byte[] _buffer = new byte[1 << 20];
    private readonly List<string> _failures = [];
    private int _failureCount;
    private byte[]? _directoryPath;
    private DirectoryHandle? _directory;

    /// <exception cref="InvalidDataException">Some files do not match; the message names them.</exception>
    public async Task RunAsync()
    {
        try
        {
            while (await walk.ReadAsync().ConfigureAwait(false) is { } item)
            {
                if (item.Kind != ItemKind.File || context.WasWarned(item.Display)) continue;
                var problem = await CheckAsync(item).ConfigureAwait(false);
                if (problem is not null && _failureCount++ < MaxNamed) _failures.Add($"'{item.Display}': {problem}");
            }
        }
        finally
        {
            _directory?.Dispose();
        }
        if (_failureCount > 0)
        {
            var more = _failureCount > MaxNamed ? $" (and {_failureCount - MaxNamed} more)" : "";
            throw new InvalidDataException($"verification failed: {_failureCount} restored files differ from the snapshot: {string.Join("; ", _failures)}{more}");
        }
    }

    /// <summary>Null when the file matches, else what is wrong with it.</summary>
    private async Task<string?> CheckAsync(WalkItem item)
    {
        var path = item.Entry.Path.Span;
        var layout = ContentLayout.For(item.ContentEntry, item.Display);
        try
        {
            using var file = Directory(CatalogPath.Parent(path)).OpenFileForReading(CatalogPath.Name(path));
            var status = HandleMetadata.Status(file);
            if (!status.IsRegular) return "it is not a regular file";
            if ((ulong)status.Size != item.ContentEntry.Size) return $"it is {status.Size} bytes, not {item.ContentEntry.Size}";
            await foreach (var chunk in walk.ContentAsync(item).ConfigureAwait(false))
            {
                if (_buffer.Length < chunk.Length) _buffer = new byte[chunk.Length];
                var buffer = _buffer;
                long start = layout.Mapped;
                layout.Map(chunk.Length, _segments, item.Display);
                foreach (var segment in _segments)
                {
                    if (RandomAccess.Read(file, buffer.AsSpan(segment.ChunkOffset, segment.Length), segment.FileOffset) != segment.Length)
                        return $"it ends inside content at offset {segment.FileOffset}";
                }
                if (ChunkDigest.Compute(buffer.AsSpan(0, chunk.Length)) != chunk.Digest)
                    return $"its content differs from the snapshot in the {chunk.Length} bytes from payload offset {start} of the file (chunk {chunk.Digest.ToShortString()})";
            }
            return null;
        }
        catch (IOException e)
        {
            return $"it cannot be read back: {e.Message}";
        }
    }

    /// <summary>The directory a file is in; consecutive files mostly share one, so the last one stays open.</summary>
    private DirectoryHandle Directory(ReadOnlySpan<byte> path)
    {
        if (path.IsEmpty) return root;
        if (_directory is not null && path.SequenceEqual(_directoryPath)) return _directory;
        _directory?.Dispose();
        _directory = null;
        _directory = TargetTree.OpenExisting(root, path);
        _directoryPath = path.ToArray();
        return _directory;
    }
}
