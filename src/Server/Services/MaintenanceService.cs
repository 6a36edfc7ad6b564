using Bunker.Index;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;
using Bunker.Server.Hosting;
using Bunker.Server.Lifecycle;
using Bunker.Server.Tenancy;
using Bunker.Storage;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using StorageRepository = Bunker.Storage.Repository;

namespace Bunker.Server.Services;

/// <summary>
/// bunker.v1.Maintenance. Removing or reclaiming (forget, garbage collection, protecting) needs the operator or admin
/// role of the repository's tenant; unprotecting and setting the policy need admin; a check and reading the policy need
/// any role that may read the repository. A backup token can do none of the removing: with a stored policy, bunkerd
/// forgets on its own schedule and the hosts never hold delete rights.
/// </summary>
public sealed class MaintenanceService : Maintenance.MaintenanceBase
{
    private readonly RepositoryHost _host;
    private readonly RepositoryMaintenance _maintenance;
    private readonly ILogger _logger;

    public MaintenanceService(RepositoryHost host, RepositoryMaintenance maintenance, ILogger<MaintenanceService> logger)
    {
        _host = host;
        _maintenance = maintenance;
        _logger = logger;
    }

    private async Task<(Principal Principal, StorageRepository Repository)> OpenAsync(ServerCallContext context, string repository, string action, params Role[] roles)
    {
        var principal = CallAuth.Require(context, action, roles);
        return (principal, await _host.GetAsync(CallAuth.Repository(_host.Registry, principal, repository)).ConfigureAwait(false));
    }

    public override Task<ForgetResponse> Forget(ForgetRequest request, ServerCallContext context) => ServiceErrors.Guard(async () =>
    {
        var (principal, repository) = await OpenAsync(context, request.Repository, request.DryRun ? "planning a forget" : "forgetting snapshots",
            request.DryRun ? [Role.Operator, Role.Admin, Role.Restore] : [Role.Operator, Role.Admin]).ConfigureAwait(false);
        if (request.Policy is null) throw ServiceErrors.Error(StatusCode.InvalidArgument, "forget needs a retention policy (at least one keep rule)");
        if (request.Prune && request.DryRun) throw ServiceErrors.Error(StatusCode.InvalidArgument, "--prune with --dry-run: a dry run removes nothing, so there is nothing to prune; run 'gc --dry-run' to see what a collection would do");
        if (request.Tags.Count > 100 || request.Host.Length > 255 || request.SourceKind.Length > 64)
            throw ServiceErrors.Error(StatusCode.InvalidArgument, "forget: the host, kind or tag filter is too long");
        var rules = RetentionPolicies.ToRules(request.Policy);
        var outcome = await _maintenance.ForgetAsync(repository, rules, new ForgetScope(request.Host, request.SourceKind, [.. request.Tags]),
            request.DryRun, request.BySnapshotTime, context.CancellationToken).ConfigureAwait(false);
        if (!request.DryRun)
            _logger.LogInformation("Forget on {Tenant}/{Repository} by token {Token}: {Removed} snapshot(s), {Wal} WAL file(s) removed",
                principal.Tenant, request.Repository, principal.TokenId, outcome.Removed, outcome.Wal.Count);
        var response = ToWire(outcome);
        if (request.Prune)
        {
            var report = await _maintenance.CollectGarbageAsync(repository, dryRun: false, null, null, context.CancellationToken).ConfigureAwait(false);
            response.Garbage = ToWire(report);
        }
        return response;
    });

    public override Task<ProtectResponse> Protect(ProtectRequest request, ServerCallContext context) => ServiceErrors.Guard(async () =>
    {
        var (principal, repository) = request.Unprotect
            ? await OpenAsync(context, request.Repository, "unprotecting a snapshot", Role.Admin).ConfigureAwait(false)
            : await OpenAsync(context, request.Repository, "protecting a snapshot", Role.Operator, Role.Admin).ConfigureAwait(false);
        var info = SnapshotInfos.Resolve(repository, new GetSnapshotRequest { Repository = request.Repository, Snapshot = request.Snapshot });
        var id = new SnapshotId(info.Id.Span);
        bool now = await _maintenance.SetProtectedAsync(repository, id, !request.Unprotect, context.CancellationToken).ConfigureAwait(false);
        _logger.LogInformation("Snapshot {Snapshot} of {Tenant}/{Repository} {Change} by token {Token}", id, principal.Tenant, request.Repository,
            now ? "protected" : "unprotected", principal.TokenId);
        return new ProtectResponse { Id = info.Id, Protected = now };
    });

    public override Task<GarbageReport> CollectGarbage(CollectGarbageRequest request, ServerCallContext context) => ServiceErrors.Guard(async () =>
    {
        var (principal, repository) = await OpenAsync(context, request.Repository, "collecting garbage", Role.Operator, Role.Admin).ConfigureAwait(false);
        if (request.HasRepackBelow && (request.RepackBelow is < 0 or > 1 || double.IsNaN(request.RepackBelow)))
            throw ServiceErrors.Error(StatusCode.InvalidArgument, "repack_below must be 0 to 1");
        if (request.HasGraceSeconds && request.GraceSeconds is < 0 or > 30L * 86400)
            throw ServiceErrors.Error(StatusCode.InvalidArgument, "grace_seconds must be 0 to 30 days");
        double? repack = request.HasRepackBelow ? request.RepackBelow : null;
        if (repack is null && (await _maintenance.PolicyAsync(repository, context.CancellationToken).ConfigureAwait(false)).RepackBelow is > 0 and var fromPolicy)
            repack = fromPolicy;
        var report = await _maintenance.CollectGarbageAsync(repository, request.DryRun, repack,
            request.HasGraceSeconds ? TimeSpan.FromSeconds(request.GraceSeconds) : null, context.CancellationToken).ConfigureAwait(false);
        if (!request.DryRun)
            _logger.LogInformation("GC on {Tenant}/{Repository} by token {Token}: {Reclaimed} bytes reclaimed in {Seconds:F1}s", principal.Tenant, request.Repository,
                principal.TokenId, report.BytesReclaimed, report.Elapsed.TotalSeconds);
        return ToWire(report);
    });

    public override Task<Protocol.V1.CheckReport> Check(CheckRequest request, ServerCallContext context) => ServiceErrors.Guard(async () =>
    {
        var (_, repository) = await OpenAsync(context, request.Repository, "checking a repository", Role.Operator, Role.Admin, Role.Restore).ConfigureAwait(false);
        if (request.ReadDataSubset.Length > 0 && !request.ReadData)
            throw ServiceErrors.Error(StatusCode.InvalidArgument, "read_data_subset needs read_data");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var report = await _maintenance.CheckAsync(repository, request.ReadData, request.ReadDataSubset, context.CancellationToken).ConfigureAwait(false);
        return ToWire(report, clock.Elapsed);
    });

    public override Task<PolicyView> GetPolicy(GetPolicyRequest request, ServerCallContext context) => ServiceErrors.Guard(async () =>
    {
        var (_, repository) = await OpenAsync(context, request.Repository, "reading the policy", Role.Operator, Role.Admin, Role.Restore, Role.Backup).ConfigureAwait(false);
        return new PolicyView
        {
            Policy = await _maintenance.PolicyAsync(repository, context.CancellationToken).ConfigureAwait(false),
            State = await _maintenance.StateAsync(repository, context.CancellationToken).ConfigureAwait(false),
        };
    });

    public override Task<RepositoryPolicy> SetPolicy(SetPolicyRequest request, ServerCallContext context) => ServiceErrors.Guard(async () =>
    {
        var (principal, repository) = await OpenAsync(context, request.Repository, "setting the policy", Role.Admin).ConfigureAwait(false);
        var policy = await _maintenance.SetPolicyAsync(repository, request.Policy ?? new RepositoryPolicy(), context.CancellationToken).ConfigureAwait(false);
        _logger.LogInformation("Policy of {Tenant}/{Repository} set by token {Token}: {Policy}", principal.Tenant, request.Repository, principal.TokenId, policy);
        return policy;
    });

    private static ForgetResponse ToWire(ForgetOutcome outcome)
    {
        var response = new ForgetResponse
        {
            Removed = (uint)outcome.Removed,
            DryRun = outcome.DryRun,
            WalFilesRemoved = (uint)outcome.Wal.Count,
            WalBytesRemoved = outcome.WalBytes,
        };
        response.Notes.AddRange(outcome.Notes);
        foreach (var group in outcome.Groups)
        {
            var wire = new ForgetGroup { Key = group.Key };
            foreach (var decision in group.Decisions)
            {
                var s = decision.Snapshot;
                var d = new ForgetDecision
                {
                    Id = ByteString.CopyFrom(Convert.FromHexString(s.Id)),
                    Host = s.Host,
                    SourceKind = s.SourceKind,
                    SourceId = s.SourceId,
                    TimeUnixNanos = (s.Time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100,
                    Keep = decision.Keep,
                };
                d.Tags.AddRange(s.Tags);
                d.Reasons.AddRange(decision.Reasons);
                wire.Decisions.Add(d);
            }
            response.Groups.Add(wire);
        }
        return response;
    }

    public static GarbageReport ToWire(GcReport report)
    {
        var wire = new GarbageReport
        {
            Snapshots = (ulong)report.Snapshots,
            ChunksLive = (ulong)report.ChunksLive,
            ChunksDead = (ulong)report.ChunksDead,
            BytesDead = (ulong)report.BytesDead,
            ChunksPinned = (ulong)report.ChunksPinned,
            PacksCondemned = (uint)report.PacksCondemned,
            BytesCondemned = (ulong)report.BytesCondemned,
            PacksRewritten = (uint)report.PacksRewritten,
            BytesRewritten = (ulong)report.BytesRewritten,
            PacksTrimmed = (uint)report.PacksTrimmed,
            PacksDeleted = (uint)report.PacksDeleted,
            BytesReclaimed = (ulong)report.BytesReclaimed,
            Seconds = report.Elapsed.TotalSeconds,
            DryRun = report.DryRun,
        };
        wire.Problems.AddRange(report.Problems);
        return wire;
    }

    public static Protocol.V1.CheckReport ToWire(Storage.CheckReport report, TimeSpan elapsed)
    {
        var wire = new Protocol.V1.CheckReport
        {
            PacksIndexed = (uint)report.PacksIndexed,
            PacksInStore = (uint)report.PacksInStore,
            PacksRead = (uint)report.PacksRead,
            ChunksIndexed = (ulong)report.ChunksIndexed,
            ChunksVerified = (ulong)report.ChunksVerified,
            Snapshots = (ulong)report.Snapshots,
            UnreferencedChunks = (ulong)report.UnreferencedChunks,
            UnreferencedBytes = (ulong)report.UnreferencedBytes,
            Healthy = report.IsHealthy,
            Seconds = elapsed.TotalSeconds,
        };
        wire.OrphanPacks.AddRange(report.OrphanPacks.Take(1000));
        wire.MissingPacks.AddRange(report.MissingPacks);
        wire.Problems.AddRange(report.Damaged);
        wire.Problems.AddRange(report.MissingChunks);
        wire.Notes.AddRange(report.Notes);
        // A report must fit a message: every problem is listed (up to the check's cap), their uses up to a total.
        int usesLeft = 50_000;
        foreach (var problem in report.Chunks)
        {
            var p = new Protocol.V1.ChunkProblem
            {
                Digest = ByteString.CopyFrom(problem.Digest.ToArray()),
                Pack = problem.Pack?.ToString() ?? "",
                Problem = problem.Problem,
                Detail = problem.Detail,
            };
            foreach (var use in problem.Uses)
                if (usesLeft-- > 0) p.Uses.Add(new Protocol.V1.ChunkUse { SnapshotId = ByteString.CopyFrom(use.Snapshot.ToArray()), Archive = use.Archive, Offset = use.Offset, Length = use.Length });
            wire.Chunks.Add(p);
        }
        return wire;
    }
}
