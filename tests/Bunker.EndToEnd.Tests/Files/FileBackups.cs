using Bunker.Client.Files;
using Bunker.Client.Files.Backup;
using Bunker.Client.Files.Catalog;
using Bunker.Client.Restore;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;
using Bunker.Tests.Shared;

namespace Bunker.EndToEnd.Tests.Files;

/// <summary>
/// File backups against a real bunkerd process, and what they stored, read back through the client's readers. A
/// process, not the in-process fixture, and in this project rather than the server tests: the load tests there
/// measure their process's managed heap, which the buffers of these backups would swell.
/// </summary>
internal sealed class FileBackups : IAsyncDisposable
{
    private const string Repository = "main";
    private readonly DaemonProcess _daemon;
    private readonly GrpcChannel _channel;
    private readonly string _token;

    private FileBackups(DaemonProcess daemon, GrpcChannel channel, string token)
    {
        _daemon = daemon;
        _channel = channel;
        _token = token;
    }

    public static async Task<FileBackups> StartAsync()
    {
        var data = Directory.CreateTempSubdirectory("bunkerd-files-").FullName;
        var daemon = await DaemonProcess.StartAsync(data);
        var channel = GrpcChannel.ForAddress(daemon.Address, new GrpcChannelOptions { MaxReceiveMessageSize = 64 << 20 });
        var admin = new Admin.AdminClient(channel);
        var options = As(daemon.AdminToken, TimeSpan.FromMinutes(1));
        await admin.CreateTenantAsync(new CreateTenantRequest { Name = "acme" }, options);
        await admin.CreateRepositoryAsync(new CreateRepositoryRequest { Tenant = "acme", Name = Repository }, options);
        var request = new CreateTokenRequest { Tenant = "acme", Roles = { Role.Backup, Role.Restore } };
        var token = (await admin.CreateTokenAsync(request, options)).Token;
        return new FileBackups(daemon, channel, token);
    }

    public CallOptions Options => As(_token, TimeSpan.FromMinutes(10));

    private static CallOptions As(string token, TimeSpan timeout) =>
        new(new Metadata { { "authorization", "Bearer " + token } }, DateTime.UtcNow + timeout);

    private Repository.RepositoryClient Client => new(_channel);

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
    /// SHA-256 of the file as a restore would write it: its stored bytes at their extents, holes as zeros. Streamed,
    /// so a big file costs no big array (they would sit in the large object heap that the load tests measure).
    /// </summary>
    public async Task<string> ContentSha256Async(SnapshotInfo snapshot, CatalogEntry entry)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        await using var stream = entry.ChunkCount == 0 ? Stream.Null
            : ArchiveReader.Open(Client, Repository, snapshot.Id, "payload", Options, (long)entry.FirstChunk, (long)entry.ChunkCount);
        var extents = entry.Extents.Count == 0 ? [new Extent { Offset = 0, Length = entry.Size }] : entry.Extents.ToList();
        ulong at = 0;
        foreach (var extent in extents)
        {
            Zeros(hash, buffer, extent.Offset - at);
            for (ulong left = extent.Length; left > 0;)
            {
                int take = (int)Math.Min(left, (ulong)buffer.Length);
                await stream.ReadExactlyAsync(buffer.AsMemory(0, take));
                hash.AppendData(buffer, 0, take);
                left -= (ulong)take;
            }
            at = extent.Offset + extent.Length;
        }
        Zeros(hash, buffer, entry.Size - at);
        Assert.Equal(0, await stream.ReadAsync(new byte[1])); // the run holds exactly the file
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static void Zeros(System.Security.Cryptography.IncrementalHash hash, byte[] buffer, ulong count)
    {
        Array.Clear(buffer);
        for (; count > 0;)
        {
            int take = (int)Math.Min(count, (ulong)buffer.Length);
            hash.AppendData(buffer, 0, take);
            count -= (ulong)take;
        }
    }

    private static long StoredLength(CatalogEntry entry) =>
        entry.Extents.Count == 0 ? (long)entry.Size : entry.Extents.Sum(e => (long)e.Length);

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        var data = _daemon.Data;
        await _daemon.DisposeAsync();
        try { Directory.Delete(data, recursive: true); } catch (IOException) { }
    }
}
