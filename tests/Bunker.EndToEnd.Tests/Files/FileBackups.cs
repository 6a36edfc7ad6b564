using System.Security.Cryptography;
using Bunker.Client.Connection;
using Bunker.Client.Files;
using Bunker.Client.Files.Backup;
using Bunker.Client.Files.Catalog;
using Bunker.Client.Files.Reading;
using Bunker.Client.Restore;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;

namespace Bunker.EndToEnd.Tests.Files;

/// <summary>
/// File backups against a real bunkerd process, and what they stored, read back through the client's readers. A
/// process, not the in-process fixture, and in this project rather than the server tests: the load tests there
/// measure their process's managed heap, which the buffers of these backups would swell.
/// </summary>
internal sealed class FileBackups : IAsyncDisposable
{
    private const string Repository = "main";
    private readonly RunningDaemon _server;
    private readonly BunkerConnection _connection;

    private FileBackups(RunningDaemon server, BunkerConnection connection)
    {
        _server = server;
        _connection = connection;
    }

    public static async Task<FileBackups> StartAsync()
    {
        var server = new RunningDaemon();
        await server.InitializeAsync();
        var token = await server.TenantAsync("acme", Repository);
        return new FileBackups(server, BunkerConnection.Open(new ConnectionSettings(server.Daemon.Address, token, Repository, null)));
    }

    public CallOptions Options => _connection.Call(CancellationToken.None, TimeSpan.FromMinutes(10));

    private Repository.RepositoryClient Client => _connection.Repository;

    public Task<FileBackupResult> RunAsync(FileBackupRequest request, FileProgress? progress = null) =>
        FileBackup.RunAsync(Client, Repository, request, Options, progress);

    public Task<FileBackupResult> RunAsync(params string[] paths) => RunAsync(new FileBackupRequest { Paths = paths, Host = "test-host" });

    public async Task<List<CatalogEntry>> CatalogAsync(SnapshotInfo snapshot)
    {
        await using var stream = ArchiveReader.Open(Client, Repository, snapshot.Id, "catalog", Options);
        var reader = await CatalogReader.OpenAsync(stream);
        var entries = new List<CatalogEntry>();
        while (await reader.ReadAsync() is { } entry) entries.Add(entry);
        return entries;
    }

    /// <summary>
    /// SHA-256 of the file as a restore would write it: its stored bytes at their extents, holes as zeros (the client's
    /// FileContent, as dump writes it). Streamed, so a big file costs no big array.
    /// </summary>
    public async Task<string> ContentSha256Async(SnapshotInfo snapshot, CatalogEntry entry)
    {
        await using var stream = entry.ChunkCount == 0 ? Stream.Null
            : ArchiveReader.Open(Client, Repository, snapshot.Id, "payload", Options, (long)entry.FirstChunk, (long)entry.ChunkCount);
        using var sha256 = SHA256.Create();
        await using (var hashing = new CryptoStream(Stream.Null, sha256, CryptoStreamMode.Write))
            await FileContent.WriteAsync(entry, stream, hashing);
        Assert.Equal(0, await stream.ReadAsync(new byte[1])); // the run holds exactly the file
        return Convert.ToHexStringLower(sha256.Hash!);
    }

    public async ValueTask DisposeAsync()
    {
        _connection.Dispose();
        await _server.DisposeAsync();
    }
}
