using Bunker.Tests.Shared;

namespace Bunker.Client.Tests.Postgres.Tar;

/// <summary>
/// A real base backup: a private PostgreSQL 15 cluster (initdb as postgres, since initdb refuses root), started
/// on its own socket directory with no TCP, given a table, backed up with <c>pg_basebackup -D - -Ft -X fetch</c>
/// (the stream bunker stores, with backup_manifest injected at its end) and stopped again.
/// </summary>
public sealed class BaseBackupFixture : IAsyncLifetime
{
    private const string Bin = "/usr/lib/postgresql/15/bin";
    // The socket directory is private, so no other cluster can hold this port's socket.
    private const string Port = "5432";

    private readonly ScratchDirectory _scratch = FileTrees.Scratch("bunker-pgtar");

    public string Scratch => _scratch.Path;

    public string Archive => _scratch.Combine("base.tar");

    public async Task InitializeAsync()
    {
        string data = _scratch.Combine("data");
        string socket = _scratch.Combine("socket");
        Directory.CreateDirectory(socket);
        await RunAsync("chown", "-R", "postgres:postgres", Scratch);
        await AsPostgresAsync($"{Bin}/initdb", "-D", data, "-A", "trust", "-U", "postgres");
        await AsPostgresAsync($"{Bin}/pg_ctl", "-D", data, "-w", "-l", _scratch.Combine("server.log"),
            "-o", $"-p {Port} -k {socket} -c listen_addresses=''", "start");
        try
        {
            await AsPostgresAsync($"{Bin}/psql", "-h", socket, "-p", Port, "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-c",
                "CREATE TABLE numbers AS SELECT n, md5(n::text) AS hash FROM generate_series(1, 50000) AS n");
            // sh redirects the binary stream to the file; the tools here only capture text.
            await RunAsync("sh", "-c", $"runuser -u postgres -- {Bin}/pg_basebackup -h '{socket}' -p {Port} -U postgres -D - -Ft -X fetch > '{Archive}'");
        }
        finally
        {
            await AsPostgresAsync($"{Bin}/pg_ctl", "-D", data, "-w", "-m", "fast", "stop");
        }
    }

    public Task DisposeAsync()
    {
        _scratch.Dispose();
        return Task.CompletedTask;
    }

    private static Task AsPostgresAsync(params string[] command) => RunAsync(["runuser", "-u", "postgres", "--", .. command]);

    public static async Task RunAsync(params string[] command)
    {
        var run = await ExternalTools.RunSeparatelyAsync(command[0], command[1..], "/", TimeSpan.FromMinutes(3));
        Assert.True(run.Code == 0, $"{string.Join(' ', command)} failed: {run}");
    }
}
