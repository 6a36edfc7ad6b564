using System.Formats.Tar;
using Bunker.Client.Backup;
using Bunker.Client.Connection;
using Bunker.Client.Postgres;
using Bunker.Protocol.V1;
using Bunker.Tests.Shared;

namespace Bunker.EndToEnd.Tests.Postgres;

/// <summary>
/// A base backup the repository hands back is input like any other: one whose tar would write outside the target
/// is refused, and the half-written target is removed, so it can never be mistaken for a restore.
/// </summary>
public sealed class HostileBackupTests : IClassFixture<RunningDaemon>
{
    private readonly RunningDaemon _server;

    public HostileBackupTests(RunningDaemon server) => _server = server;

    private static async Task<byte[]> TarAsync(params (string Name, string Content)[] members)
    {
        var bytes = new MemoryStream();
        await using (var writer = new TarWriter(bytes, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, content) in members)
                await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)) });
        }
        return bytes.ToArray();
    }

    /// <summary>Commits a snapshot that looks like a complete -X fetch base backup of cluster 42, holding <paramref name="tar"/>.</summary>
    private static async Task CommitBackupAsync(BunkerConnection connection, string host, byte[] tar)
    {
        var start = new BackupStart { Repository = "main", SourceKind = PgSnapshots.BaseBackupKind, Host = host, SourceId = "42" };
        var labels = new Dictionary<string, string>
        {
            [PgSnapshots.SystemIdentifier] = "42", [PgSnapshots.Timeline] = "1", [PgSnapshots.StartLsn] = "0/2000028", [PgSnapshots.StopLsn] = "0/2000100",
            [PgSnapshots.StopTime] = PgSnapshots.Time(DateTimeOffset.UtcNow), [PgSnapshots.SegmentSize] = (16 << 20).ToString(), [PgSnapshots.WalMethod] = "fetch",
        };
        await using var uploader = await BackupUploader.StartAsync(connection.Repository, start, connection.Call(CancellationToken.None, Timeout.InfiniteTimeSpan));
        await using (var archive = ChunkingArchiveStream.For(uploader, PgSnapshots.BaseArchive))
        {
            await archive.WriteAsync(tar);
            await archive.CompleteAsync();
        }
        await uploader.CommitAsync(labels);
    }

    [Fact]
    public async Task A_tar_that_climbs_out_of_the_target_is_refused_and_the_partial_restore_removed()
    {
        string token = await _server.TenantAsync("hostile", "main");
        using var connection = BunkerConnection.Open(new ConnectionSettings(_server.Daemon.Address, token, "main", null));
        await CommitBackupAsync(connection, "evil-host", await TarAsync(("PG_VERSION", "15\n"), ("base/1/1", "data"), ("../../escaped", "gotcha")));

        using var scratch = FileTrees.Scratch("bunker-hostile-pg");
        string data = scratch.Combine("deep", "er", "data");
        Directory.CreateDirectory(Path.GetDirectoryName(data)!);
        var run = await BunkerCli.RunAsync(_server.TokenEnvironment(token, "main"), "pg", "restore", "--to", data, "--host", "evil-host");
        Assert.Equal(1, run.Code);
        Assert.Contains("../../escaped", run.Stderr);
        Assert.False(Directory.Exists(data), "the partial restore must be removed");
        Assert.False(File.Exists(scratch.Combine("deep", "escaped")));
        Assert.False(File.Exists(scratch.Combine("escaped")));
    }
}
