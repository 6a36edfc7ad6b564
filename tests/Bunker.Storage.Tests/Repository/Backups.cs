using Bunker.Chunking;
using Bunker.Index;

namespace Bunker.Storage.Tests.Repository;

/// <summary>Takes a one-archive "backup" of a byte array the way a source would: chunk, put, index.</summary>
public static class Backups
{
    public static readonly FastCdcOptions SmallChunks = new() { MinSize = 16 << 10, AverageSize = 64 << 10, MaxSize = 256 << 10 };

    public static async Task<ArchiveWriter> ArchiveAsync(Bunker.Storage.Repository repository, string name, byte[] data, IChunkBoundary? chunker = null)
    {
        var archive = repository.CreateArchive(name);
        await archive.AppendStreamAsync(new MemoryStream(data), chunker ?? new FastCdcChunker(SmallChunks));
        return archive;
    }

    public static async Task<SnapshotRecord> SnapshotAsync(Bunker.Storage.Repository repository, string host, params (string Name, byte[] Data)[] archives)
    {
        var writers = new List<ArchiveWriter>();
        foreach (var (name, data) in archives)
            writers.Add(await ArchiveAsync(repository, name, data));
        return await repository.CommitSnapshotAsync(new SnapshotDraft("files", host, "/data") { Tags = ["test"] }, writers);
    }

    public static async Task<byte[]> RestoreAsync(Bunker.Storage.Repository repository, SnapshotId id, string archiveName)
    {
        var manifest = await repository.LoadManifestAsync(id);
        var archive = manifest.Archives.Single(a => a.Name == archiveName);
        using var output = new MemoryStream();
        await repository.RestoreArchiveAsync(archive, output);
        return output.ToArray();
    }
}
