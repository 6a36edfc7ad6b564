using System.Text;
using Bunker.Client.Backup;
using Bunker.Client.Files.Catalog;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;
using Google.Protobuf;

namespace Bunker.EndToEnd.Tests.Files;

/// <summary>
/// Makes a files snapshot without walking a disk: catalog entries as given, each file's stored bytes cut
/// into fixed chunks that start a new run, the catalog written with CatalogWriter, all uploaded with
/// BackupUploader. What the read commands see is then exactly what the test wrote.
/// </summary>
internal sealed class FilesSnapshotBuilder
{
    public const long Second = 1_000_000_000;
    /// <summary>2024-01-02T03:04:05Z, the mtime every entry has unless told otherwise.</summary>
    public const long DefaultMtime = 1_704_164_645 * Second;

    private readonly List<(CatalogEntry Entry, byte[]? Stored)> _entries = [];

    /// <summary>Chunk size of the payload and the catalog; small, so that modest files take several chunks.</summary>
    public int ChunkSize { get; init; } = 64 << 10;

    public FilesSnapshotBuilder Directory(string path, uint mode = 0x1ed /* 0755 */) =>
        Add(Entry(Bytes(path), EntryType.Directory, mode));

    public FilesSnapshotBuilder File(string path, byte[] content, uint mode = 0x1a4 /* 0644 */, long mtime = DefaultMtime) =>
        File(Bytes(path), content, mode, mtime);

    public FilesSnapshotBuilder File(byte[] path, byte[] content, uint mode = 0x1a4, long mtime = DefaultMtime)
    {
        var entry = Entry(path, EntryType.File, mode, mtime);
        entry.Size = (ulong)content.Length;
        return Add(entry, content);
    }

    /// <summary>A sparse file of <paramref name="size"/> bytes holding <paramref name="extents"/>' data, zeros elsewhere.</summary>
    public FilesSnapshotBuilder Sparse(string path, ulong size, params (ulong Offset, byte[] Data)[] extents)
    {
        var entry = Entry(Bytes(path), EntryType.File, 0x1a4);
        entry.Size = size;
        var stored = new MemoryStream();
        foreach (var (offset, data) in extents)
        {
            entry.Extents.Add(new Extent { Offset = offset, Length = (ulong)data.Length });
            stored.Write(data);
        }
        return Add(entry, stored.ToArray());
    }

    public FilesSnapshotBuilder Symlink(string path, string target)
    {
        var entry = Entry(Bytes(path), EntryType.Symlink, 0x1ff);
        entry.SymlinkTarget = ByteString.CopyFromUtf8(target);
        return Add(entry);
    }

    /// <summary>A second path of <paramref name="target"/>'s inode: no content of its own.</summary>
    public FilesSnapshotBuilder Hardlink(string path, string target, ulong size)
    {
        var entry = Entry(Bytes(path), EntryType.File, 0x1a4);
        entry.Size = size;
        entry.HardlinkTarget = ByteString.CopyFromUtf8(target);
        return Add(entry);
    }

    /// <summary>Any entry; <paramref name="stored"/> is a regular file's payload bytes.</summary>
    public FilesSnapshotBuilder Add(CatalogEntry entry, byte[]? stored = null)
    {
        _entries.Add((entry, stored));
        return this;
    }

    public static CatalogEntry Entry(byte[] path, EntryType type, uint mode, long mtime = DefaultMtime) => new()
    {
        Path = ByteString.CopyFrom(path),
        Type = type,
        Mode = mode,
        Uid = 1000,
        Gid = 1000,
        User = "alice",
        Group = "staff",
        MtimeUnixNanos = mtime,
        CtimeUnixNanos = mtime,
    };

    /// <summary>Uploads the payload (files in catalog order, each on its own chunks), then the catalog, and commits.</summary>
    public async Task<SnapshotInfo> CommitAsync(Repository.RepositoryClient client, CallOptions options, string repository,
        string host, string[] paths, string[] tags, long timeUnixNanos)
    {
        var start = new BackupStart { Repository = repository, SourceKind = "files", Host = host, SourceId = string.Join(",", paths), TimeUnixNanos = timeUnixNanos };
        start.Paths.AddRange(paths);
        start.Tags.AddRange(tags);
        await using var uploader = await BackupUploader.StartAsync(client, start, options);
        await uploader.AddArchiveAsync("catalog");
        await uploader.AddArchiveAsync("payload");

        _entries.Sort((a, b) => CatalogPath.Compare(a.Entry.Path.Span, b.Entry.Path.Span));
        ulong chunk = 0, offset = 0;
        foreach (var (entry, stored) in _entries)
        {
            if (stored is null) continue;
            entry.FirstChunk = chunk;
            entry.PayloadOffset = offset;
            chunk += (ulong)await AddChunksAsync(uploader, "payload", stored);
            entry.ChunkCount = chunk - entry.FirstChunk;
            offset += (ulong)stored.Length;
        }

        var catalog = new MemoryStream();
        var writer = new CatalogWriter(catalog, new CatalogHeader { Version = 1, TimeUnixNanos = timeUnixNanos, Roots = { paths.Select(ByteString.CopyFromUtf8) } });
        foreach (var (entry, _) in _entries) await writer.WriteAsync(entry);
        await writer.CompleteAsync();
        await AddChunksAsync(uploader, "catalog", catalog.ToArray());
        return await uploader.CommitAsync();
    }

    private async Task<int> AddChunksAsync(BackupUploader uploader, string archive, byte[] bytes)
    {
        int chunks = 0;
        for (int at = 0; at < bytes.Length; at += ChunkSize, chunks++)
            await uploader.AddChunkAsync(archive, bytes.AsMemory(at, Math.Min(ChunkSize, bytes.Length - at)));
        return chunks;
    }

    private static byte[] Bytes(string path) => Encoding.UTF8.GetBytes(path);
}
