using System.Collections.Concurrent;
using Bunker.Chunking;
using Bunker.Client.Backup;
using Bunker.Client.Restore;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;
using Bunker.Server.Tests.Daemon;

namespace Bunker.Server.Tests.Transfer;

/// <summary>Uploads through <see cref="BackupUploader"/> and reads back through <see cref="ChunkFetcher"/>, against a test daemon.</summary>
internal sealed class Transfers(DaemonFixture daemon, string token, string repository = "main")
{
    /// <summary>Makes tenant acme with repository main on <paramref name="daemon"/>, and transfers with a backup+restore token for it.</summary>
    public static async Task<Transfers> ForAsync(DaemonFixture daemon) =>
        new(daemon, await daemon.TenantWithRepositoryAsync("acme", "main", Role.Backup, Role.Restore));

    public DaemonFixture Daemon => daemon;
    public string Token => token;
    public CallOptions Options => DaemonFixture.As(token, timeout: TimeSpan.FromMinutes(2));

    public BackupStart Start() => new() { Repository = repository, SourceKind = "files", Host = "host-a", SourceId = "/data" };

    public Task<BackupUploader> StartAsync(BackupUploaderOptions? options = null) =>
        BackupUploader.StartAsync(daemon.Repository(), Start(), Options, options);

    /// <summary>Uploads every chunk into one archive and commits.</summary>
    public async Task<(SnapshotInfo Snapshot, BackupUploadStatistics Statistics)> UploadAsync(IReadOnlyList<byte[]> chunks,
        BackupUploaderOptions? options = null, string archive = "payload")
    {
        await using var uploader = await StartAsync(options);
        foreach (var chunk in chunks)
            await uploader.AddChunkAsync(archive, chunk);
        var snapshot = await uploader.CommitAsync();
        return (snapshot, uploader.Statistics);
    }

    public async Task<List<ArchiveEntry>> EntriesAsync(SnapshotInfo snapshot, string archive)
    {
        var entries = new List<ArchiveEntry>();
        await foreach (var entry in ArchiveIndexReader.ReadAsync(daemon.Repository(), repository, snapshot.Id, archive, Options))
            entries.Add(entry);
        return entries;
    }

    /// <summary>Restores one archive: its index, then each distinct chunk once over <paramref name="streams"/> streams.</summary>
    public async Task<byte[]> RestoreAsync(SnapshotInfo snapshot, string archive, int streams, int digestsPerRequest = ChunkFetcher.MaxDigestsPerRequest)
    {
        var entries = await EntriesAsync(snapshot, archive);
        var distinct = new List<ChunkDigest>();
        var seen = new HashSet<ChunkDigest>();
        foreach (var entry in entries)
        {
            if (seen.Add(entry.Digest)) distinct.Add(entry.Digest);
        }
        var received = new ConcurrentDictionary<ChunkDigest, byte[]>();
        var fetcher = new ChunkFetcher(daemon.Channel, Options) { DigestsPerRequest = digestsPerRequest };
        var statistics = await fetcher.FetchAsync(repository, distinct, streams,
            (in ChunkDigest digest, ReadOnlySpan<byte> raw) => Assert.True(received.TryAdd(digest, raw.ToArray()), "a chunk came twice"));
        Assert.Equal(distinct.Count, statistics.Chunks);
        Assert.Equal(Math.Min(streams, distinct.Count), statistics.Streams);

        var restored = new MemoryStream();
        foreach (var entry in entries)
        {
            Assert.Equal(restored.Length, entry.Offset);
            restored.Write(received[entry.Digest]);
        }
        return restored.ToArray();
    }

    public static byte[] Concat(IEnumerable<byte[]> chunks)
    {
        var all = new MemoryStream();
        foreach (var chunk in chunks) all.Write(chunk);
        return all.ToArray();
    }
}
