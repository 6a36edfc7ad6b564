using Bunker.Client.Backup;
using Bunker.Client.Connection;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;
using Bunker.Tests.Shared;

namespace Bunker.EndToEnd.Tests.Files;

/// <summary>
/// A real bunkerd with repository acme/main holding, oldest first: two files snapshots of host-a's /srv
/// (<see cref="First"/>, then <see cref="Second"/> with one change of every kind), one of host-b's /home
/// (<see cref="Home"/>), and a vm snapshot (<see cref="Vm"/>), the newest of all.
/// </summary>
public sealed class FilesRepository : IAsyncLifetime
{
    private const long NanosPerSecond = 1_000_000_000;
    /// <summary>2024-01-02T03:04:05Z, the mtime of every entry.</summary>
    public const long DefaultMtime = 1_704_164_645 * NanosPerSecond;
    private const long T0 = DefaultMtime + 3600 * NanosPerSecond;

    public RunningDaemon Server { get; } = new();
    public string Token { get; private set; } = null!;
    /// <summary>The client's connection to the daemon, as <see cref="Token"/>.</summary>
    public BunkerConnection Connection { get; private set; } = null!;
    public Dictionary<string, string> Env => Server.TokenEnvironment(Token, "main");

    /// <summary>Several payload chunks.</summary>
    public byte[] Big { get; } = RandomBytes(5 * 65536 + 1234, seed: 1);
    public byte[] SparseFirst { get; } = RandomBytes(100_000, seed: 2);
    public byte[] SparseSecond { get; } = RandomBytes(70_000, seed: 3);
    public const long SparseSize = 10 << 20;
    /// <summary>"srv/caf\xe9": a name that is not UTF-8.</summary>
    public static byte[] Latin1Name { get; } = [.. "srv/caf"u8, 0xe9];

    public SnapshotInfo First { get; private set; } = null!;
    public SnapshotInfo Second { get; private set; } = null!;
    public SnapshotInfo Home { get; private set; } = null!;
    public SnapshotInfo Vm { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Server.InitializeAsync();
        Token = await Server.TenantAsync("acme", "main", "crowd");
        Connection = BunkerConnection.Open(new ConnectionSettings(Server.Daemon.Address, Token, "main", null));

        First = await CommitAsync(Tree(second: false), "host-a", "/srv", "daily", T0);
        Second = await CommitAsync(Tree(second: true), "host-a", "/srv", "daily", T0 + 60 * NanosPerSecond);
        Home = await CommitAsync(Files().Directory("home").File("home/a.txt", "a"u8.ToArray()), "host-b", "/home", "weekly", T0 + 120 * NanosPerSecond);
        Vm = await CommitVmAsync("main", T0 + 180 * NanosPerSecond);
    }

    /// <summary>Entries of alice/staff with the <see cref="DefaultMtime"/>.</summary>
    private static FileSnapshotBuilder Files() => new() { Owner = (1000, 1000, "alice", "staff"), Mtime = DefaultMtime };

    private Task<SnapshotInfo> CommitAsync(FileSnapshotBuilder tree, string host, string path, string tag, long time)
    {
        var start = new BackupStart { Repository = "main", SourceKind = "files", Host = host, SourceId = path, TimeUnixNanos = time, Paths = { path }, Tags = { tag } };
        return tree.BuildAsync(() => BackupUploader.StartAsync(Connection.Repository, start, Options()));
    }

    /// <summary>/srv as the first snapshot has it, or as the second (one change of each kind).</summary>
    private FileSnapshotBuilder Tree(bool second)
    {
        var tree = Files()
            .Directory("srv")
            .File("srv/big.bin", Big, links: 2)
            .File(Latin1Name, "latin-1"u8.ToArray())
            .File("srv/empty", [])
            .File("srv/grow.txt", second ? "abcdef"u8.ToArray() : "abc"u8.ToArray())
            .Hardlink("srv/hard", "srv/big.bin", (ulong)Big.Length)
            .Symlink("srv/link", second ? "big.bin" : "same.txt")
            .File("srv/meta.txt", "meta"u8.ToArray(), mode: second ? 0x180u /* 0600 */ : 0x1a4u)
            // Same size and mtime, other bytes: only the chunk digests tell.
            .File("srv/mod.txt", second ? "version two"u8.ToArray() : "version one"u8.ToArray())
            .File("srv/same.txt", "hello"u8.ToArray())
            .Sparse("srv/sparse.img", SparseSize, (1 << 20, SparseFirst), (5 << 20, SparseSecond))
            .Directory("srv/sub")
            .File("srv/sub/deep.txt", "deep"u8.ToArray());
        if (second)
            tree.Directory("srv/kind").File("srv/new.txt", "new"u8.ToArray());
        else
            tree.File("srv/kind", "a file first"u8.ToArray()).File("srv/gone.txt", "bye"u8.ToArray());
        return tree;
    }

    private CallOptions Options() => Connection.Call(CancellationToken.None, TimeSpan.FromMinutes(2));

    /// <summary>A snapshot of another kind: one disk archive of one chunk.</summary>
    public async Task<SnapshotInfo> CommitVmAsync(string repository, long time, string host = "hv1")
    {
        var start = new BackupStart { Repository = repository, SourceKind = "vm", Host = host, SourceId = "web01", TimeUnixNanos = time };
        await using var uploader = await BackupUploader.StartAsync(Connection.Repository, start, Options());
        await uploader.AddChunkAsync("disk0", RandomBytes(4096, seed: 9));
        return await uploader.CommitAsync();
    }

    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public Task DisposeAsync()
    {
        Connection?.Dispose();
        return Server.DisposeAsync();
    }
}
