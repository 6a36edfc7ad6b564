using System.Collections.Concurrent;
using Bunker.Index;
using Bunker.Protocol.V1;
using Bunker.Server.Hosting;
using Bunker.Server.Sessions;
using Bunker.Storage;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using StorageRepository = Bunker.Storage.Repository;

namespace Bunker.Server.Lifecycle;

/// <summary>Which snapshots a forget judges: those of this host and kind, carrying all these tags (empty: any).</summary>
public sealed record ForgetScope(string Host = "", string SourceKind = "", IReadOnlyList<string>? Tags = null)
{
    public bool Covers(SnapshotManifest manifest)
    {
        if (Host.Length > 0 && manifest.Host != Host) return false;
        if (SourceKind.Length > 0 && manifest.SourceKind != SourceKind) return false;
        foreach (var tag in Tags ?? [])
            if (!manifest.Tags.Contains(tag)) return false;
        return true;
    }
}

/// <summary>What a forget decided and did.</summary>
public sealed record ForgetOutcome(List<RetentionGroup> Groups, int Removed, IReadOnlyList<SnapshotManifestRef> Wal, ulong WalBytes,
    IReadOnlyList<string> Notes, bool DryRun);

/// <summary>A snapshot that is protected was asked to be deleted.</summary>
public sealed class SnapshotProtectedException(string message) : InvalidOperationException(message);

/// <summary>
/// A repository's upkeep, shared by the Maintenance service and the scheduled jobs: retention with protection, garbage
/// collection that pins what open sessions hold, checks, verify-after-backup, and the policy and job state kept in the
/// repository's own store. Forgets, protections and deletions of one repository are serialised (a protect that lands
/// between a forget's plan and its deletions would be lost otherwise); nothing here blocks backups or restores.
/// </summary>
public sealed class RepositoryMaintenance
{
    private readonly SessionRegistry _sessions;
    private readonly BunkerdOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<RepositoryId, SemaphoreSlim> _locks = new();
    private readonly ConcurrentDictionary<RepositoryId, RepositoryPolicy> _policies = new();

    public RepositoryMaintenance(SessionRegistry sessions, BunkerdOptions options, ILogger<RepositoryMaintenance> logger)
    {
        _sessions = sessions;
        _options = options;
        _logger = logger;
    }

    private async Task<IDisposable> LockAsync(StorageRepository repository, CancellationToken cancellationToken)
    {
        var gate = _locks.GetOrAdd(repository.Id, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Releaser(gate);
    }

    private sealed class Releaser(SemaphoreSlim gate) : IDisposable
    {
        private int _released;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) gate.Release();
        }
    }

    // ---- protection ----

    public async Task<HashSet<SnapshotId>> ProtectedAsync(StorageRepository repository, CancellationToken cancellationToken)
    {
        var set = new HashSet<SnapshotId>();
        var bytes = await repository.ReadSettingAsync(StorageRepository.ProtectedSetting, cancellationToken).ConfigureAwait(false);
        if (bytes is null) return set;
        foreach (var id in ProtectedSnapshots.Parser.ParseFrom(bytes).Ids)
            if (id.Length == SnapshotId.Size) set.Add(new SnapshotId(id.Span));
        return set;
    }

    /// <summary>Protects or unprotects a snapshot; returns whether it is protected now. Ids of snapshots gone are dropped on the way.</summary>
    public async Task<bool> SetProtectedAsync(StorageRepository repository, SnapshotId id, bool protect, CancellationToken cancellationToken)
    {
        using var held = await LockAsync(repository, cancellationToken).ConfigureAwait(false);
        var set = await ProtectedAsync(repository, cancellationToken).ConfigureAwait(false);
        if (protect) set.Add(id);
        else set.Remove(id);
        var message = new ProtectedSnapshots();
        foreach (var kept in set.Order())
            if (repository.Index.Snapshots.TryGet(repository.Id, kept, out _)) message.Ids.Add(ByteString.CopyFrom(kept.ToArray()));
        await repository.WriteSettingAsync(StorageRepository.ProtectedSetting, message.ToByteArray(), cancellationToken).ConfigureAwait(false);
        return protect;
    }

    /// <summary>Deletes one snapshot unless it is protected; false when there is no such snapshot.</summary>
    public async Task<bool> DeleteSnapshotAsync(StorageRepository repository, SnapshotId id, CancellationToken cancellationToken)
    {
        using var held = await LockAsync(repository, cancellationToken).ConfigureAwait(false);
        if ((await ProtectedAsync(repository, cancellationToken).ConfigureAwait(false)).Contains(id))
            throw new SnapshotProtectedException($"snapshot {id.ToShortString()} is protected; unprotect it first (admin)");
        return await repository.DeleteSnapshotAsync(id, cancellationToken).ConfigureAwait(false);
    }

    // ---- policy and job state ----

    public async Task<RepositoryPolicy> PolicyAsync(StorageRepository repository, CancellationToken cancellationToken)
    {
        if (_policies.TryGetValue(repository.Id, out var cached)) return cached;
        var bytes = await repository.ReadSettingAsync(StorageRepository.PolicySetting, cancellationToken).ConfigureAwait(false);
        var policy = bytes is null ? new RepositoryPolicy() : RepositoryPolicy.Parser.ParseFrom(bytes);
        _policies[repository.Id] = policy;
        return policy;
    }

    public async Task<RepositoryPolicy> SetPolicyAsync(StorageRepository repository, RepositoryPolicy policy, CancellationToken cancellationToken)
    {
        var normal = RetentionPolicies.Normalize(policy);
        using var held = await LockAsync(repository, cancellationToken).ConfigureAwait(false);
        await repository.WriteSettingAsync(StorageRepository.PolicySetting, normal.ToByteArray(), cancellationToken).ConfigureAwait(false);
        _policies[repository.Id] = normal;
        return normal;
    }

    public async Task<LifecycleState> StateAsync(StorageRepository repository, CancellationToken cancellationToken)
    {
        var bytes = await repository.ReadSettingAsync(StorageRepository.LifecycleSetting, cancellationToken).ConfigureAwait(false);
        return bytes is null ? new LifecycleState() : LifecycleState.Parser.ParseFrom(bytes);
    }

    public Task UpdateStateAsync(StorageRepository repository, Action<LifecycleState> change, CancellationToken cancellationToken) =>
        repository.UpdateSettingAsync(StorageRepository.LifecycleSetting, old =>
        {
            var state = old is null ? new LifecycleState() : LifecycleState.Parser.ParseFrom(old);
            change(state);
            return state.ToByteArray();
        }, cancellationToken);

    // ---- retention ----

    /// <summary>
    /// Plans retention over the snapshots in <paramref name="scope"/> and, unless <paramref name="dryRun"/>, removes what
    /// no rule keeps. Archived WAL is never judged by the rules: once base backups go, the WAL that no remaining base
    /// backup of its cluster needs goes with them. Times are the server's commit times unless
    /// <paramref name="bySnapshotTime"/> (then the client's), so that no client can date a snapshot into a bucket.
    /// </summary>
    /// <exception cref="RetentionRefusedException">A group would be emptied; nothing is removed.</exception>
    public async Task<ForgetOutcome> ForgetAsync(StorageRepository repository, RetentionRules rules, ForgetScope scope, bool dryRun, bool bySnapshotTime,
        CancellationToken cancellationToken)
    {
        rules.Validate();
        using var held = await LockAsync(repository, cancellationToken).ConfigureAwait(false);
        var protectedIds = await ProtectedAsync(repository, cancellationToken).ConfigureAwait(false);
        var judged = new List<RetainedSnapshot>();
        var manifests = new Dictionary<string, SnapshotManifest>(StringComparer.Ordinal);
        var baseBackups = new List<SnapshotManifestRef>();
        var wal = new List<SnapshotManifestRef>();
        bool judgesPostgres = false;
        foreach (var record in repository.ListSnapshots())
        {
            var manifest = SnapshotManifest.Parser.ParseFrom(record.Manifest);
            string id = record.Id.ToString();
            manifests[id] = manifest;
            if (manifest.SourceKind == WalRetention.WalKind)
            {
                wal.Add(new SnapshotManifestRef(id, manifest));
                continue;
            }
            if (manifest.SourceKind == WalRetention.BaseBackupKind) baseBackups.Add(new SnapshotManifestRef(id, manifest));
            if (!scope.Covers(manifest)) continue;
            judgesPostgres |= manifest.SourceKind == WalRetention.BaseBackupKind;
            long nanos = manifest.CommittedUnixNanos > 0 && !bySnapshotTime ? manifest.CommittedUnixNanos : manifest.TimeUnixNanos;
            judged.Add(new RetainedSnapshot(id, manifest.Host, manifest.SourceKind, manifest.SourceId, [.. manifest.Paths], [.. manifest.Tags],
                DateTimeOffset.UnixEpoch.AddTicks(nanos / 100), protectedIds.Contains(record.Id)));
        }
        var plan = Retention.Plan(judged, rules);
        var removed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var group in plan)
            foreach (var decision in group.Decisions)
                if (!decision.Keep) removed.Add(decision.Snapshot.Id);

        var notes = new List<string>();
        List<SnapshotManifestRef> obsoleteWal = [];
        ulong walBytes = 0;
        if (judgesPostgres)
        {
            var remaining = baseBackups.FindAll(b => !removed.Contains(b.Id));
            obsoleteWal = WalRetention.Obsolete(remaining, wal, notes);
            var clustersLeft = remaining.Select(b => b.Manifest.Host + "\n" + b.Manifest.SourceId).ToHashSet(StringComparer.Ordinal);
            foreach (var cluster in baseBackups.Select(b => b.Manifest.Host + "\n" + b.Manifest.SourceId).Distinct(StringComparer.Ordinal))
                if (!clustersLeft.Contains(cluster)) notes.Add($"no base backup of cluster {cluster.Split('\n')[1]} remains, so all its WAL is kept");
            foreach (var file in obsoleteWal)
                foreach (var archive in file.Manifest.Archives) walBytes += archive.Size;
        }

        if (!dryRun)
        {
            // Snapshots first, WAL after: an interrupted run never leaves a base backup whose WAL is gone.
            foreach (var id in removed)
                await repository.DeleteSnapshotAsync(SnapshotId.Parse(id), cancellationToken).ConfigureAwait(false);
            foreach (var file in obsoleteWal)
                await repository.DeleteSnapshotAsync(SnapshotId.Parse(file.Id), cancellationToken).ConfigureAwait(false);
            if (removed.Count > 0 || obsoleteWal.Count > 0)
                _logger.LogInformation("Retention on repository {Repository}: {Removed} snapshot(s) and {Wal} WAL file(s) removed", repository.Id, removed.Count, obsoleteWal.Count);
        }
        return new ForgetOutcome(plan, removed.Count, obsoleteWal, walBytes, notes, dryRun);
    }

    // ---- garbage collection, check, verification ----

    /// <summary>A collection that pins every chunk the repository's open sessions hold (invariant 3).</summary>
    public Task<GcReport> CollectGarbageAsync(StorageRepository repository, bool dryRun, double? repackBelow, TimeSpan? grace, CancellationToken cancellationToken)
    {
        var options = new GcOptions
        {
            DryRun = dryRun,
            RepackBelow = repackBelow ?? RetentionPolicies.DefaultRepackBelow,
            Grace = grace ?? TimeSpan.FromSeconds(_options.GcGraceSeconds),
            OpenSessionChunks = () => _sessions.PinnedDigests(repository.Id),
        };
        return repository.CollectGarbageAsync(options, cancellationToken);
    }

    /// <summary>A check; damaged chunks leave the index, so that the next backup holding their data stores them again.</summary>
    public Task<Storage.CheckReport> CheckAsync(StorageRepository repository, bool readData, string subset, CancellationToken cancellationToken) =>
        repository.CheckAsync(new CheckOptions { ReadData = readData, ReadPack = ReadDataSubset.Parse(subset), DropDamaged = true }, cancellationToken);

    /// <summary>Reads a just committed snapshot back when the repository's policy asks for it; null when it does not.</summary>
    public async Task<Storage.SnapshotVerification?> VerifyAfterBackupAsync(StorageRepository repository, SnapshotId id, CancellationToken cancellationToken)
    {
        if (!(await PolicyAsync(repository, cancellationToken).ConfigureAwait(false)).VerifyAfterBackup) return null;
        var verification = await repository.VerifySnapshotAsync(id, cancellationToken).ConfigureAwait(false);
        if (!verification.IsIntact)
        {
            _logger.LogError("Verify-after-backup: snapshot {Snapshot} of repository {Repository} does not read back: {Problems}",
                id, repository.Id, string.Join("; ", verification.Problems));
            await UpdateStateAsync(repository, state =>
            {
                state.VerifyFailedUnix = _options.Clock.GetUtcNow().ToUnixTimeSeconds();
                state.VerifyOutcome = $"snapshot {id.ToShortString()}: {string.Join("; ", verification.Problems.Take(5))}";
            }, CancellationToken.None).ConfigureAwait(false);
        }
        return verification;
    }
}
