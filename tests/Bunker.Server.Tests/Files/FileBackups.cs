using Bunker.Client.Files.Backup;
using Bunker.Client.Files.Catalog;
using Bunker.Client.Restore;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;
using Bunker.Server.Tests.Daemon;

namespace Bunker.Server.Tests.Files;

/// <summary>File backups against a test daemon, and what they stored, read back through the client's readers.</summary>
internal sealed class FileBackups(DaemonFixture daemon, string token, string repository = "main")
{
    public CallOptions Options => DaemonFixture.As(token, timeout: TimeSpan.FromMinutes(10));

    public Task<FileBackupResult> RunAsync(FileBackupRequest request, FileBackupProgress? progress = null) =>
        FileBackup.RunAsync(daemon.Repository(), repository, request, Options, progress);

    public Task<FileBackupResult> RunAsync(params string[] paths) => RunAsync(new FileBackupRequest { Paths = paths, Host = "test-host" });

    public async Task<List<CatalogEntry>> CatalogAsync(SnapshotInfo snapshot)
    {
        await using var stream = ArchiveReader.Open(daemon.Repository(), repository, snapshot.Id, "catalog", Options);
        var reader = await CatalogReader.OpenAsync(stream);
        var entries = new List<CatalogEntry>();
        while (await reader.ReadAsync() is { } entry) entries.Add(entry);
        return entries;
    }

    /// <summary>The file as a restore would write it: its stored bytes placed at their extents, holes as zeros.</summary>
    public async Task<byte[]> ContentAsync(SnapshotInfo snapshot, CatalogEntry entry)
    {
        var stored = new byte[StoredLength(entry)];
        if (entry.ChunkCount > 0)
        {
            await using var stream = ArchiveReader.Open(daemon.Repository(), repository, snapshot.Id, "payload", Options,
                (long)entry.FirstChunk, (long)entry.ChunkCount);
            await stream.ReadExactlyAsync(stored);
            Assert.Equal(0, await stream.ReadAsync(new byte[1])); // the run holds exactly the file
        }
        if (entry.Extents.Count == 0) return stored;
        var content = new byte[entry.Size];
        long at = 0;
        foreach (var extent in entry.Extents)
        {
            stored.AsSpan((int)at, (int)extent.Length).CopyTo(content.AsSpan((int)extent.Offset));
            at += (long)extent.Length;
        }
        return content;
    }

    private static long StoredLength(CatalogEntry entry) =>
        entry.Extents.Count == 0 ? (long)entry.Size : entry.Extents.Sum(e => (long)e.Length);
}
