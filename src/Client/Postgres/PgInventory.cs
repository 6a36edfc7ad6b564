using System.Globalization;
using System.Text;
using Bunker.Client.Postgres.Wal;
using Bunker.Client.Restore;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;

namespace Bunker.Client.Postgres;

/// <summary>One archived WAL file and the snapshot that holds it.</summary>
internal sealed record ArchivedWalFile(SnapshotInfo Snapshot, WalFileName File)
{
    /// <summary>
    /// No record in the file is newer than this: its mtime when it was pushed (a segment is closed before it is
    /// archived, often well before), else the push itself. The bound of a restorable window in time.
    /// </summary>
    public DateTimeOffset WrittenBy
    {
        get
        {
            var pushed = PgSnapshots.SnapshotTime(Snapshot);
            return Snapshot.Manifest?.Labels.TryGetValue(PgSnapshots.WalModified, out var text) == true
                && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind, out var modified)
                && modified < pushed ? modified : pushed;
        }
    }
}

/// <summary>
/// What a repository holds for one PostgreSQL cluster of one host: its base backups (oldest first), its archived WAL
/// files, and its timeline histories. The WAL commands (backups, verify, restore, forget) all start from here.
/// </summary>
internal sealed class PgInventory
{
    private const int DefaultSegmentSize = 16 << 20;

    internal PgInventory(string host, ulong systemIdentifier, int segmentSize, List<BaseBackup> backups, List<ArchivedWalFile> wal,
        Dictionary<uint, TimelineHistory> histories)
    {
        Host = host;
        SystemIdentifier = systemIdentifier;
        SegmentSize = segmentSize;
        Backups = backups;
        Wal = wal;
        Histories = histories;
        var chain = new List<ArchivedWal>(wal.Count);
        foreach (var file in wal)
        {
            if (file.File.Kind == WalFileKind.Segment) chain.Add(new ArchivedWal(file.File, file.WrittenBy));
        }
        Segments = chain;
    }

    public string Host { get; }
    public ulong SystemIdentifier { get; }
    public int SegmentSize { get; }
    public IReadOnlyList<BaseBackup> Backups { get; }
    public IReadOnlyList<ArchivedWalFile> Wal { get; }
    public IReadOnlyDictionary<uint, TimelineHistory> Histories { get; }
    /// <summary>The archived segments alone (no history, backup or partial files), as the chain follows them.</summary>
    public IReadOnlyList<ArchivedWal> Segments { get; }

    /// <summary>
    /// The WAL a restore of <paramref name="backup"/> can replay. A backup taken with -X fetch holds the segments from
    /// its start to its stop in its tar, so they count as present even if the archive lacks them.
    /// </summary>
    public WalCoverage Coverage(BaseBackup backup) =>
        WalChain.Follow(backup.Timeline, backup.Start, backup.Stop, WithBackupWal(backup), Histories, SegmentSize);

    private IReadOnlyCollection<ArchivedWal> WithBackupWal(BaseBackup backup)
    {
        if (!backup.HoldsItsWal) return Segments;
        var all = new List<ArchivedWal>(Segments);
        ulong first = backup.Start.SegmentNumber(SegmentSize), last = backup.Stop.SegmentNumber(SegmentSize);
        for (ulong segment = first; segment <= last; segment++)
        {
            var name = WalFileName.Parse(WalFileName.SegmentName(backup.Timeline, segment, SegmentSize), SegmentSize);
            all.Add(new ArchivedWal(name, backup.StopTime));
        }
        return all;
    }

    /// <summary>
    /// Lists the repository. Without <paramref name="systemIdentifier"/>, the host must hold exactly one cluster's
    /// backups or WAL; with several, the caller must choose.
    /// </summary>
    public static async Task<PgInventory> LoadAsync(Repository.RepositoryClient client, string repository, string host, ulong? systemIdentifier,
        CallOptions options, CancellationToken cancellationToken)
    {
        var backups = new List<BaseBackup>();
        var clusters = new SortedSet<ulong>();
        using (var call = client.ListSnapshots(new ListSnapshotsRequest { Repository = repository, Host = host, SourceKind = PgSnapshots.BaseBackupKind }, options))
        {
            while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                if (BaseBackup.From(call.ResponseStream.Current) is not { } backup) continue;
                backups.Add(backup);
                clusters.Add(backup.SystemIdentifier);
            }
        }
        var walSnapshots = new List<SnapshotInfo>();
        using (var call = client.ListSnapshots(new ListSnapshotsRequest { Repository = repository, Host = host, SourceKind = PgSnapshots.WalKind }, options))
        {
            while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                var snapshot = call.ResponseStream.Current;
                if (SplitSourceId(snapshot.SourceId) is not { } parsed) continue;
                walSnapshots.Add(snapshot);
                clusters.Add(parsed.System);
            }
        }

        ulong system = systemIdentifier ?? clusters.Count switch
        {
            0 => throw new CommandFailedException($"repository '{repository}' holds no PostgreSQL backups or WAL for host '{host}' (see --host)"),
            1 => clusters.Min,
            _ => throw new UsageException($"host '{host}' has backups of several clusters ({string.Join(", ", clusters)}); choose one with --system-id"),
        };
        backups.RemoveAll(b => b.SystemIdentifier != system);
        // The segment size is the cluster's, fixed at initdb; its backups record it.
        int segmentSize = backups.Count > 0 ? backups[^1].SegmentSize : DefaultSegmentSize;

        var wal = new List<ArchivedWalFile>(walSnapshots.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var snapshot in walSnapshots)
        {
            var (id, name) = SplitSourceId(snapshot.SourceId)!.Value;
            if (id != system || !seen.Add(name)) continue;
            if (WalFileName.TryParse(name, segmentSize, out var file, out _))
                wal.Add(new ArchivedWalFile(snapshot, file));
        }
        var histories = new Dictionary<uint, TimelineHistory>();
        foreach (var file in wal)
        {
            if (file.File.Kind != WalFileKind.History) continue;
            string text = await ReadTextAsync(client, repository, file.Snapshot, options, cancellationToken).ConfigureAwait(false);
            try
            {
                histories[file.File.Timeline] = TimelineHistory.Parse(file.File.Timeline, text);
            }
            catch (InvalidDataException e)
            {
                throw new CommandFailedException($"the archived {file.File.Name} is not a timeline history: {e.Message}");
            }
        }
        return new PgInventory(host, system, segmentSize, backups, wal, histories);
    }

    private static (ulong System, string Name)? SplitSourceId(string sourceId)
    {
        int slash = sourceId.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || !ulong.TryParse(sourceId.AsSpan(0, slash), NumberStyles.None, CultureInfo.InvariantCulture, out ulong system)) return null;
        return (system, sourceId[(slash + 1)..]);
    }

    private static async Task<string> ReadTextAsync(Repository.RepositoryClient client, string repository, SnapshotInfo snapshot, CallOptions options, CancellationToken cancellationToken)
    {
        // History files are a line per timeline switch; anything much bigger is not one.
        if (snapshot.Size > 1 << 20)
            throw new CommandFailedException($"the archived {snapshot.SourceId} is {snapshot.Size} bytes, too big for a timeline history");
        await using var reader = ArchiveReader.Open(client, repository, snapshot.Id, PgSnapshots.WalArchive, options);
        using var text = new MemoryStream();
        await reader.CopyToAsync(text, cancellationToken).ConfigureAwait(false);
        return Encoding.UTF8.GetString(text.GetBuffer(), 0, (int)text.Length);
    }
}
