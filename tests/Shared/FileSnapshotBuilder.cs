using System.Text;
using Bunker.Chunking;
using Bunker.Client.Backup;
using Bunker.Client.Files.Catalog;
using Bunker.Protocol.V1;
using Google.Protobuf;

namespace Bunker.Tests.Shared;

/// <summary>
/// Builds a files snapshot by hand, the way a backup would lay it out: catalog entries in catalog order,
/// and each regular file's content cut into its own run of payload chunks, uploaded through a real backup
/// session. Tests describe the tree entry by entry, and can tamper with the entries (or their order) to make
/// hostile catalogs; what the read commands and restores see is exactly what the test wrote. Compiled into
/// each test project that needs it; that project must reference src/Client.
/// </summary>
public sealed class FileSnapshotBuilder
{
    public const long DefaultTime = 1_600_000_000_123_456_789;

    private readonly List<(CatalogEntry Entry, ReadOnlyMemory<byte>? Content)> _items = [];

    /// <summary>
    /// Small chunks (64 KiB average, 256 KiB at most): files of a few hundred KiB span several, and chunk
    /// buffers stay small in processes whose managed heap a load test bounds.
    /// </summary>
    public static FastCdcOptions SmallChunks { get; } = new() { MinSize = 16 << 10, AverageSize = 64 << 10, MaxSize = 256 << 10 };

    /// <summary>How content is cut: <see cref="SmallChunks"/> unless a test wants the backup's own (1 MiB average).</summary>
    public FastCdcOptions Chunking { get; init; } = SmallChunks;

    /// <summary>Runs on the entries, payload fields filled in, before the catalog is written.</summary>
    public Action<List<CatalogEntry>>? Tamper { get; init; }

    /// <summary>Writes the entries in the order given, without the writer's checks: for catalogs a backup would never make.</summary>
    public bool Raw { get; init; }

    /// <summary>The owner of the entries made here (not of those given to <see cref="Add"/>): root unless told otherwise.</summary>
    public (uint Uid, uint Gid, string User, string Group) Owner { get; init; } = (0, 0, "", "");

    /// <summary>The times of the entries made here where a method takes none.</summary>
    public long Mtime { get; init; } = DefaultTime;

    public static byte[] Bytes(string path) => Encoding.UTF8.GetBytes(path);

    /// <summary>A regular file; <paramref name="links"/> of 2 or more lets later <see cref="Hardlink"/> entries name it.</summary>
    public FileSnapshotBuilder File(string path, byte[] content, uint mode = 0x1A4, long? mtime = null, ulong links = 1) =>
        File(Bytes(path), content, mode, mtime, links);

    /// <summary>A regular file whose name is any bytes.</summary>
    public FileSnapshotBuilder File(byte[] path, byte[] content, uint mode = 0x1A4, long? mtime = null, ulong links = 1)
    {
        var entry = Make(path, EntryType.File, mode, mtime);
        entry.Size = (ulong)content.Length;
        entry.Links = links;
        return Add(entry, content);
    }

    /// <summary>A sparse file of <paramref name="size"/> bytes whose data is <paramref name="extents"/>; the rest are holes.</summary>
    public FileSnapshotBuilder Sparse(string path, long size, params (long Offset, byte[] Data)[] extents)
    {
        var entry = Make(Bytes(path), EntryType.File, 0x1A4, null);
        entry.Size = (ulong)size;
        var stored = new MemoryStream();
        foreach (var (offset, data) in extents)
        {
            entry.Extents.Add(new Extent { Offset = (ulong)offset, Length = (ulong)data.Length });
            stored.Write(data);
        }
        return Add(entry, stored.ToArray());
    }

    public FileSnapshotBuilder Directory(string path, uint mode = 0x1ED, long? mtime = null) => Add(Make(Bytes(path), EntryType.Directory, mode, mtime), null);

    public FileSnapshotBuilder Symlink(string path, string target)
    {
        var entry = Make(Bytes(path), EntryType.Symlink, 0x1FF, null);
        entry.SymlinkTarget = ByteString.CopyFromUtf8(target);
        return Add(entry, null);
    }

    /// <summary>A further name of a hardlinked file: <paramref name="target"/> must be an earlier file (made with <c>links: 2</c> or more).</summary>
    public FileSnapshotBuilder Hardlink(string path, string target, ulong size)
    {
        var entry = Make(Bytes(path), EntryType.File, 0x1A4, null);
        entry.HardlinkTarget = ByteString.CopyFromUtf8(target);
        entry.Size = size;
        entry.Links = 2;
        return Add(entry, null);
    }

    public FileSnapshotBuilder Node(string path, EntryType type, ulong rdev = 0, uint mode = 0x1A0)
    {
        var entry = Make(Bytes(path), type, mode, null);
        entry.Rdev = rdev;
        return Add(entry, null);
    }

    /// <summary>Any entry, as given; <paramref name="content"/> for a regular file's first name.</summary>
    public FileSnapshotBuilder Add(CatalogEntry entry, ReadOnlyMemory<byte>? content)
    {
        _items.Add((entry, content));
        return this;
    }

    public static CatalogEntry Base(byte[] path, EntryType type, uint mode, long mtime) => new()
    {
        Path = ByteString.CopyFrom(path),
        Type = type,
        Mode = mode,
        Uid = 0,
        Gid = 0,
        MtimeUnixNanos = mtime,
        AtimeUnixNanos = mtime,
        CtimeUnixNanos = mtime,
        Links = 1,
    };

    private CatalogEntry Make(byte[] path, EntryType type, uint mode, long? mtime)
    {
        var entry = Base(path, type, mode, mtime ?? Mtime);
        (entry.Uid, entry.Gid, entry.User, entry.Group) = Owner;
        return entry;
    }

    /// <summary>Uploads the payload and the catalog through a real backup session and commits the snapshot.</summary>
    public async Task<SnapshotInfo> BuildAsync(Func<Task<BackupUploader>> start)
    {
        var items = new List<(CatalogEntry Entry, ReadOnlyMemory<byte>? Content)>(_items);
        if (!Raw) items.Sort((a, b) => CatalogPath.Compare(a.Entry.Path.Span, b.Entry.Path.Span));
        await using var uploader = await start();
        await uploader.AddArchiveAsync("catalog");
        await uploader.AddArchiveAsync("payload");
        var chunker = new FastCdcChunker(Chunking);
        long offset = 0;
        ulong index = 0;
        foreach (var (entry, content) in items)
        {
            if (content is not { } data) continue;
            entry.PayloadOffset = (ulong)offset;
            entry.FirstChunk = index;
            foreach (var chunk in Cut(chunker, data))
            {
                await uploader.AddChunkAsync("payload", chunk);
                index++;
                offset += chunk.Length;
            }
            entry.ChunkCount = index - entry.FirstChunk;
        }
        var entries = items.ConvertAll(i => i.Entry);
        Tamper?.Invoke(entries);
        foreach (var chunk in Cut(chunker, await CatalogBytesAsync(entries)))
            await uploader.AddChunkAsync("catalog", chunk);
        return await uploader.CommitAsync();
    }

    private async Task<byte[]> CatalogBytesAsync(List<CatalogEntry> entries)
    {
        var header = new CatalogHeader { Version = 1, TimeUnixNanos = DefaultTime };
        header.Roots.Add(ByteString.CopyFromUtf8("/"));
        var output = new MemoryStream();
        if (Raw)
        {
            header.WriteDelimitedTo(output);
            foreach (var entry in entries) entry.WriteDelimitedTo(output);
            return output.ToArray();
        }
        var writer = new CatalogWriter(output, header);
        foreach (var entry in entries) await writer.WriteAsync(entry);
        await writer.CompleteAsync();
        return output.ToArray();
    }

    public static List<ReadOnlyMemory<byte>> Cut(IChunkBoundary chunker, ReadOnlyMemory<byte> data)
    {
        var chunks = new List<ReadOnlyMemory<byte>>();
        while (!data.IsEmpty)
        {
            bool final = data.Length <= chunker.MaxSize;
            int length = chunker.NextCut(data.Span[..Math.Min(data.Length, chunker.MaxSize)], final);
            chunks.Add(data[..length]);
            data = data[length..];
        }
        return chunks;
    }
}
