using Bunker.Chunking;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;
using Bunker.Server.Lifecycle;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;

namespace Bunker.Server.Tests.Daemon;

/// <summary>A clock a test moves by hand: commit times and the lifecycle schedule read it.</summary>
public sealed class MovableClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;
    public override DateTimeOffset GetUtcNow() => _now;
    public void Advance(TimeSpan by) => _now += by;
}

/// <summary>The Maintenance service through a real daemon: roles, protection, scheduled retention, verification, GC beside open sessions.</summary>
public sealed class MaintenanceTests : IAsyncLifetime
{
    private readonly MovableClock _clock = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private DaemonFixture _d = null!;
    private string _backup = null!, _restore = null!, _operator = null!, _admin = null!;

    public async Task InitializeAsync()
    {
        _d = await DaemonFixture.StartAsync(configure: o =>
        {
            o.Clock = _clock;
            o.LifecycleSeconds = 3600; // the tests run the jobs themselves
        });
        _backup = await _d.TenantWithRepositoryAsync("acme", "main", Role.Backup);
        _restore = await _d.TokenAsync("acme", null, Role.Restore);
        _operator = await _d.TokenAsync("acme", null, Role.Operator);
        _admin = await _d.TokenAsync("acme", null, Role.Admin);
        await _d.TenantWithRepositoryAsync("other", "theirs", Role.Backup);
    }

    public async Task DisposeAsync() => await _d.DisposeAsync();

    private Maintenance.MaintenanceClient Client() => new(_d.Channel());

    private async Task<SnapshotInfo> BackupAsync(IReadOnlyList<byte[]> chunks)
    {
        await using var session = await SessionDriver.StartAsync(_d.Repository(), DaemonFixture.As(_backup), "main");
        await session.AddArchiveAsync("payload", chunks);
        return await session.CommitAsync();
    }

    /// <summary>A backup whose client claims <paramref name="time"/> as its time (what a compromised host can do).</summary>
    private async Task<SnapshotInfo> DatedBackupAsync(IReadOnlyList<byte[]> chunks, DateTimeOffset time, string host = "host-a")
    {
        using var call = _d.Repository().Backup(DaemonFixture.As(_backup));
        var start = new BackupStart { Repository = "main", SourceKind = "files", Host = host, SourceId = "/data", TimeUnixNanos = (time - DateTimeOffset.UnixEpoch).Ticks * 100 };
        start.Paths.Add("/data");
        await call.RequestStream.WriteAsync(new BackupRequest { Start = start });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var digests = chunks.Select(c => ChunkDigest.Compute(c)).ToList();
        var packed = new byte[digests.Count * 32];
        for (int i = 0; i < digests.Count; i++) digests[i].CopyTo(packed.AsSpan(i * 32));
        await call.RequestStream.WriteAsync(new BackupRequest { Offer = new OfferDigests { RequestId = 1, Digests = ByteString.CopyFrom(packed) } });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var missing = call.ResponseStream.Current.OfferResult.Missing;
        for (int i = 0; i < chunks.Count; i++)
            if ((missing[i >> 3] & (1 << (i & 7))) != 0)
                await call.RequestStream.WriteAsync(new BackupRequest { Put = new PutChunks { Chunks = { SessionDriver.Encode(chunks[i]) } } });
        var entries = new byte[chunks.Count * 36];
        for (int i = 0; i < chunks.Count; i++)
        {
            digests[i].CopyTo(entries.AsSpan(i * 36));
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(entries.AsSpan(i * 36 + 32), (uint)chunks[i].Length);
        }
        await call.RequestStream.WriteAsync(new BackupRequest { Append = new AppendArchive { Archive = "payload", Entries = ByteString.CopyFrom(entries) } });
        await call.RequestStream.WriteAsync(new BackupRequest { Commit = new CommitSnapshot() });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var committed = call.ResponseStream.Current.Committed;
        await call.RequestStream.CompleteAsync();
        return committed;
    }

    private async Task<List<string>> SnapshotIdsAsync() =>
        [.. (await SessionDriver.ListSnapshotsAsync(_d.Repository(), DaemonFixture.As(_restore), "main")).Select(s => Convert.ToHexStringLower(s.Id.Span))];

    private static string Hex(SnapshotInfo s) => Convert.ToHexStringLower(s.Id.Span);

    private static async Task<RpcException> RefusedAsync<T>(AsyncUnaryCall<T> call) => await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);

    [Fact]
    public async Task Only_operators_forget_and_collect_only_admins_unprotect_and_a_protected_snapshot_survives_everything()
    {
        var first = await BackupAsync(Chunks.Random(3, seed: 11));
        _clock.Advance(TimeSpan.FromHours(1));
        var second = await BackupAsync(Chunks.Random(3, seed: 13));
        var keepLast1 = new RetentionPolicy { KeepLast = 1 };
        var m = Client();

        // The backup role may do none of the removing.
        Assert.Equal(StatusCode.PermissionDenied, (await RefusedAsync(m.ForgetAsync(new ForgetRequest { Repository = "main", Policy = keepLast1 }, DaemonFixture.As(_backup)))).StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, (await RefusedAsync(m.CollectGarbageAsync(new CollectGarbageRequest { Repository = "main" }, DaemonFixture.As(_backup)))).StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, (await RefusedAsync(m.ProtectAsync(new ProtectRequest { Repository = "main", Snapshot = "latest" }, DaemonFixture.As(_backup)))).StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, (await RefusedAsync(m.SetPolicyAsync(new SetPolicyRequest { Repository = "main", Policy = new RepositoryPolicy() }, DaemonFixture.As(_operator)))).StatusCode);
        var restoreForget = await RefusedAsync(m.ForgetAsync(new ForgetRequest { Repository = "main", Policy = keepLast1 }, DaemonFixture.As(_restore)));
        Assert.Equal(StatusCode.PermissionDenied, restoreForget.StatusCode);
        Assert.Contains("operator", restoreForget.Status.Detail);
        Assert.Equal(2, (await SnapshotIdsAsync()).Count);

        // A reader may ask what a forget would do, and check.
        var dry = await m.ForgetAsync(new ForgetRequest { Repository = "main", Policy = keepLast1, DryRun = true }, DaemonFixture.As(_restore));
        Assert.Equal(1u, dry.Removed);
        var decisions = dry.Groups.Single().Decisions;
        Assert.Equal([Hex(second), Hex(first)], decisions.Select(d => Convert.ToHexStringLower(d.Id.Span)));
        Assert.Equal(["last"], decisions[0].Reasons);
        Assert.Empty(decisions[1].Reasons);
        Assert.True((await m.CheckAsync(new CheckRequest { Repository = "main", ReadData = true }, DaemonFixture.As(_restore))).Healthy);

        // Protected: forget keeps it and says why; a deletion is refused; the operator cannot lift it, an admin can.
        var protect = await m.ProtectAsync(new ProtectRequest { Repository = "main", Snapshot = Hex(first)[..8] }, DaemonFixture.As(_operator));
        Assert.True(protect.Protected);
        var forget = await m.ForgetAsync(new ForgetRequest { Repository = "main", Policy = keepLast1 }, DaemonFixture.As(_operator));
        Assert.Equal(0u, forget.Removed);
        Assert.Contains("protected", forget.Groups.Single().Decisions.Single(d => d.Id == first.Id).Reasons);
        var delete = await Assert.ThrowsAsync<RpcException>(() => _d.Repository().DeleteSnapshotAsync(
            new DeleteSnapshotRequest { Repository = "main", SnapshotId = first.Id }, DaemonFixture.As(_operator)).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, delete.StatusCode);
        Assert.Contains("protected", delete.Status.Detail);
        Assert.Equal(StatusCode.PermissionDenied,
            (await RefusedAsync(m.ProtectAsync(new ProtectRequest { Repository = "main", Snapshot = Hex(first), Unprotect = true }, DaemonFixture.As(_operator)))).StatusCode);
        Assert.False((await m.ProtectAsync(new ProtectRequest { Repository = "main", Snapshot = Hex(first), Unprotect = true }, DaemonFixture.As(_admin))).Protected);

        forget = await m.ForgetAsync(new ForgetRequest { Repository = "main", Policy = keepLast1, Prune = true }, DaemonFixture.As(_operator));
        Assert.Equal(1u, forget.Removed);
        Assert.NotNull(forget.Garbage);
        Assert.Equal(3ul + 1, forget.Garbage.ChunksDead); // its three chunks and its archive's index chunk
        Assert.Equal([Hex(second)], await SnapshotIdsAsync());
    }

    [Fact]
    public async Task Scheduled_retention_counts_commit_times_so_snapshots_dated_into_the_future_push_no_real_one_out()
    {
        // Ten real daily backups, one a day by the server's clock.
        var real = new List<string>();
        for (int day = 0; day < 10; day++)
        {
            real.Add(Hex(await BackupAsync(Chunks.Random(2, seed: 101 + 2 * day))));
            _clock.Advance(TimeSpan.FromDays(1));
        }
        _clock.Advance(TimeSpan.FromDays(-1) + TimeSpan.FromMinutes(5));
        // A compromised host with only a backup token injects eight snapshots dated a day apart, years ahead.
        var fakes = new List<string>();
        for (int i = 0; i < 8; i++)
            fakes.Add(Hex(await DatedBackupAsync(Chunks.Random(1, seed: 301 + 2 * i), new DateTimeOffset(2031, 1, 1 + i, 0, 0, 0, TimeSpan.Zero))));
        var m = Client();
        var daily7 = new RetentionPolicy { KeepDaily = 7 };

        // By the clients' dates the fakes would fill every daily bucket and every real snapshot would go.
        var byClaims = await m.ForgetAsync(new ForgetRequest { Repository = "main", Policy = daily7, DryRun = true, BySnapshotTime = true }, DaemonFixture.As(_operator));
        Assert.All(byClaims.Groups.Single().Decisions.Where(d => real.Contains(Convert.ToHexStringLower(d.Id.Span))), d => Assert.False(d.Keep));

        // The stored policy judges by commit time: the fakes share one day, the newest of them keeps it, and the real
        // snapshots of the six days before are kept. Worked by hand: real days 3..8 stay; days 0..2, and day 9's real one (its
        // day is the fakes'), go.
        await m.SetPolicyAsync(new SetPolicyRequest { Repository = "main", Policy = new RepositoryPolicy { Retention = daily7, RetentionEveryHours = 24 } }, DaemonFixture.As(_admin));
        var jobs = _d.Daemon.App.Services.GetRequiredService<LifecycleJobs>();
        await jobs.RunDueAsync(CancellationToken.None);
        var left = await SnapshotIdsAsync();
        Assert.Equal(real.GetRange(3, 6).Order(), left.Intersect(real).Order());
        Assert.Single(left.Intersect(fakes));
        var view = await m.GetPolicyAsync(new GetPolicyRequest { Repository = "main" }, DaemonFixture.As(_backup));
        Assert.Equal(_clock.GetUtcNow().ToUnixTimeSeconds(), view.State.RetentionUnix);
        Assert.StartsWith($"{10 + 8 - 7} snapshot(s)", view.State.RetentionOutcome);

        // Not due again until a day has passed; then it runs again (and finds nothing more to remove).
        await BackupAsync(Chunks.Random(1, seed: 501));
        _clock.Advance(TimeSpan.FromHours(23));
        await jobs.RunDueAsync(CancellationToken.None);
        Assert.Equal(view.State.RetentionUnix, (await m.GetPolicyAsync(new GetPolicyRequest { Repository = "main" }, DaemonFixture.As(_admin))).State.RetentionUnix);
        _clock.Advance(TimeSpan.FromHours(2));
        await jobs.RunDueAsync(CancellationToken.None);
        Assert.True((await m.GetPolicyAsync(new GetPolicyRequest { Repository = "main" }, DaemonFixture.As(_admin))).State.RetentionUnix > view.State.RetentionUnix);
    }

    [Fact]
    public async Task Verify_after_backup_reads_every_chunk_back_and_reports_a_snapshot_that_does_not()
    {
        var m = Client();
        await m.SetPolicyAsync(new SetPolicyRequest { Repository = "main", Policy = new RepositoryPolicy { VerifyAfterBackup = true } }, DaemonFixture.As(_admin));
        var chunks = Chunks.Random(6, seed: 21, minSize: 50_000, maxSize: 60_000, compressible: false);
        var first = await BackupAsync(chunks);
        Assert.NotNull(first.Verification);
        Assert.Equal(6ul, first.Verification.ChunksRead);
        Assert.Equal((ulong)chunks.Sum(c => c.Length), first.Verification.BytesRead);
        Assert.Empty(first.Verification.Problems);

        // Rot in the pack that holds them: the next backup of the same data dedups against it, and its read-back says so.
        var pack = Directory.EnumerateFiles(Path.Combine(_d.Data, "repos", "acme", "main", "packs"), "*", SearchOption.AllDirectories).MaxBy(f => new FileInfo(f).Length)!;
        var bytes = await File.ReadAllBytesAsync(pack);
        bytes[bytes.Length / 3] ^= 0x01;
        await File.WriteAllBytesAsync(pack, bytes);
        var second = await BackupAsync(chunks);
        Assert.NotEmpty(second.Verification.Problems);
        Assert.Contains("authentication failed", string.Join(" ", second.Verification.Problems));
        var state = (await m.GetPolicyAsync(new GetPolicyRequest { Repository = "main" }, DaemonFixture.As(_restore))).State;
        Assert.True(state.VerifyFailedUnix > 0);
        Assert.Contains(Hex(second)[..8], state.VerifyOutcome);
    }

    [Fact]
    public async Task Garbage_collection_never_sweeps_what_an_open_session_was_confirmed_and_reclaims_it_once_nothing_holds_it()
    {
        var chunks = Chunks.Random(5, seed: 31);
        var doomed = await BackupAsync(chunks);
        var client = _d.Repository();
        await using var open = await SessionDriver.StartAsync(client, DaemonFixture.As(_backup), "main", sourceId: "/other");
        var missing = await open.OfferAsync([.. chunks.Select(c => ChunkDigest.Compute(c))]);
        Assert.All(missing, Assert.False); // confirmed present: the session may now reference them without uploading

        await client.DeleteSnapshotAsync(new DeleteSnapshotRequest { Repository = "main", SnapshotId = doomed.Id }, DaemonFixture.As(_operator));
        var m = Client();
        var gc = await m.CollectGarbageAsync(new CollectGarbageRequest { Repository = "main", GraceSeconds = 0 }, DaemonFixture.As(_operator));
        Assert.True(gc.ChunksPinned >= 5, gc.ToString());
        Assert.Equal(1ul, gc.ChunksDead); // only the deleted snapshot's archive index, which no session holds
        Assert.Equal(0u, gc.PacksDeleted);

        await open.AppendAsync("payload", chunks.Select(c => (ChunkDigest.Compute(c), c.Length)));
        var kept = await open.CommitAsync();
        var back = await SessionDriver.ReadBackAsync(client, DaemonFixture.As(_restore), "main", chunks.Select(c => ChunkDigest.Compute(c)));
        Assert.Equal(5, back.Count);

        await client.DeleteSnapshotAsync(new DeleteSnapshotRequest { Repository = "main", SnapshotId = kept.Id }, DaemonFixture.As(_operator));
        gc = await m.CollectGarbageAsync(new CollectGarbageRequest { Repository = "main", GraceSeconds = 0 }, DaemonFixture.As(_operator));
        Assert.Equal(0ul, gc.ChunksPinned);
        Assert.True(gc.ChunksDead >= 5);
        Assert.True(gc.PacksDeleted >= 1 && gc.BytesReclaimed > 0, gc.ToString());
        var check = await m.CheckAsync(new CheckRequest { Repository = "main", ReadData = true }, DaemonFixture.As(_operator));
        Assert.True(check.Healthy);
        Assert.Equal(0ul, check.UnreferencedChunks);
    }

    [Fact]
    public async Task A_scheduled_check_turns_through_its_groups_so_that_three_runs_read_every_pack_once()
    {
        for (int i = 0; i < 12; i++) await BackupAsync(Chunks.Random(1, seed: 601 + 2 * i, minSize: 5000, maxSize: 6000));
        var m = Client();
        var full = await m.CheckAsync(new CheckRequest { Repository = "main", ReadData = true }, DaemonFixture.As(_operator));
        await m.SetPolicyAsync(new SetPolicyRequest { Repository = "main", Policy = new RepositoryPolicy { CheckEveryHours = 1, CheckReadDataSubset = "1/3" } }, DaemonFixture.As(_admin));
        var jobs = _d.Daemon.App.Services.GetRequiredService<LifecycleJobs>();
        int read = 0;
        var subsets = new List<string>();
        for (int run = 0; run < 3; run++)
        {
            await jobs.RunDueAsync(CancellationToken.None);
            var state = (await m.GetPolicyAsync(new GetPolicyRequest { Repository = "main" }, DaemonFixture.As(_restore))).State;
            Assert.True(state.CheckHealthy, state.CheckOutcome);
            Assert.Equal((ulong)run + 1, state.CheckRuns);
            var words = state.CheckOutcome.Split(' ');
            read += int.Parse(words[1]);
            subsets.Add(state.CheckOutcome[(state.CheckOutcome.IndexOf("(subset ", StringComparison.Ordinal) + 8)..].Split(')')[0]);
            _clock.Advance(TimeSpan.FromMinutes(61));
        }
        Assert.Equal(["1/3", "2/3", "3/3"], subsets);
        Assert.Equal((int)full.PacksRead, read);
    }

    [Fact]
    public async Task Malformed_and_hostile_maintenance_requests_are_refused_with_a_reason_and_change_nothing()
    {
        await BackupAsync(Chunks.Random(2, seed: 41));
        var m = Client();
        var op = DaemonFixture.As(_operator);
        async Task Invalid<T>(AsyncUnaryCall<T> call, string words)
        {
            var e = await RefusedAsync(call);
            Assert.True(e.StatusCode == StatusCode.InvalidArgument, e.ToString());
            Assert.Contains(words, e.Status.Detail);
        }
        await Invalid(m.ForgetAsync(new ForgetRequest { Repository = "main" }, op), "retention policy");
        await Invalid(m.ForgetAsync(new ForgetRequest { Repository = "main", Policy = new RetentionPolicy() }, op), "at least one keep rule");
        await Invalid(m.ForgetAsync(new ForgetRequest { Repository = "main", Policy = new RetentionPolicy { KeepDaily = 1, TimeZone = "Mars/Olympus_Mons" } }, op), "time zone");
        await Invalid(m.ForgetAsync(new ForgetRequest { Repository = "main", Policy = new RetentionPolicy { KeepDaily = 1, GroupBy = { "colour" } } }, op), "group-by");
        await Invalid(m.ForgetAsync(new ForgetRequest { Repository = "main", Policy = new RetentionPolicy { KeepLast = 2_000_000_000 } }, op), "keep count");
        await Invalid(m.ForgetAsync(new ForgetRequest { Repository = "main", Policy = new RetentionPolicy { KeepLast = 1, KeepWithinSeconds = -5 } }, op), "keep-within");
        await Invalid(m.ForgetAsync(new ForgetRequest { Repository = "main", Policy = new RetentionPolicy { KeepTags = { "t:0" } } }, op), "keep-tag");
        await Invalid(m.ForgetAsync(new ForgetRequest { Repository = "main", Policy = new RetentionPolicy { KeepLast = 1 }, DryRun = true, Prune = true }, op), "dry");
        await Invalid(m.ForgetAsync(new ForgetRequest { Repository = "main", Policy = new RetentionPolicy { KeepLast = 1 }, Host = new string('h', 300) }, op), "too long");
        await Invalid(m.CheckAsync(new CheckRequest { Repository = "main", ReadDataSubset = "10%" }, op), "needs read_data");
        await Invalid(m.CheckAsync(new CheckRequest { Repository = "main", ReadData = true, ReadDataSubset = "0%" }, op), "percentage");
        await Invalid(m.CheckAsync(new CheckRequest { Repository = "main", ReadData = true, ReadDataSubset = "4/3" }, op), "N/M");
        await Invalid(m.CheckAsync(new CheckRequest { Repository = "main", ReadData = true, ReadDataSubset = "1/" + new string('9', 5000) }, op), "N/M");
        await Invalid(m.CollectGarbageAsync(new CollectGarbageRequest { Repository = "main", RepackBelow = 1.5 }, op), "repack_below");
        await Invalid(m.CollectGarbageAsync(new CollectGarbageRequest { Repository = "main", RepackBelow = double.NaN }, op), "repack_below");
        await Invalid(m.CollectGarbageAsync(new CollectGarbageRequest { Repository = "main", GraceSeconds = -1 }, op), "grace");
        await Invalid(m.ProtectAsync(new ProtectRequest { Repository = "main", Snapshot = "zz" }, op), "hex");
        Assert.Equal(StatusCode.NotFound, (await RefusedAsync(m.ProtectAsync(new ProtectRequest { Repository = "main", Snapshot = new string('a', 64) }, op))).StatusCode);
        // Another tenant's repository is "not found", exactly as one that does not exist.
        var theirs = await RefusedAsync(m.ForgetAsync(new ForgetRequest { Repository = "theirs", Policy = new RetentionPolicy { KeepLast = 1 } }, op));
        var none = await RefusedAsync(m.ForgetAsync(new ForgetRequest { Repository = "nothing-here", Policy = new RetentionPolicy { KeepLast = 1 } }, op));
        Assert.Equal(StatusCode.NotFound, theirs.StatusCode);
        Assert.Equal(none.Status.Detail.Replace("nothing-here", "X"), theirs.Status.Detail.Replace("theirs", "X"));
        var admin = DaemonFixture.As(_admin);
        await Invalid(m.SetPolicyAsync(new SetPolicyRequest { Repository = "main", Policy = new RepositoryPolicy { Prune = true } }, admin), "needs a retention policy");
        await Invalid(m.SetPolicyAsync(new SetPolicyRequest { Repository = "main", Policy = new RepositoryPolicy { CheckEveryHours = double.NaN } }, admin), "check_every_hours");
        await Invalid(m.SetPolicyAsync(new SetPolicyRequest { Repository = "main", Policy = new RepositoryPolicy { CheckEveryHours = 1, CheckReadDataSubset = "x" } }, admin), "read-data-subset");
        await Invalid(m.SetPolicyAsync(new SetPolicyRequest { Repository = "main", Policy = new RepositoryPolicy { Retention = new RetentionPolicy() } }, admin), "keep rule");
        // Nothing changed: the snapshot is there, no policy was stored.
        Assert.Single(await SnapshotIdsAsync());
        Assert.Null((await m.GetPolicyAsync(new GetPolicyRequest { Repository = "main" }, admin)).Policy.Retention);
    }

    [Fact]
    public async Task The_policy_and_protections_live_in_the_repositorys_store_and_survive_a_restart()
    {
        var snapshot = await BackupAsync(Chunks.Random(1, seed: 51));
        var m = Client();
        var policy = new RepositoryPolicy { Retention = new RetentionPolicy { KeepDaily = 7, KeepTags = { "pre-deploy:2" } }, Prune = true, VerifyAfterBackup = true };
        var stored = await m.SetPolicyAsync(new SetPolicyRequest { Repository = "main", Policy = policy }, DaemonFixture.As(_admin));
        Assert.Equal(24, stored.RetentionEveryHours); // the default filled in
        await m.ProtectAsync(new ProtectRequest { Repository = "main", Snapshot = "latest" }, DaemonFixture.As(_operator));
        Assert.True(File.Exists(Path.Combine(_d.Data, "repos", "acme", "main", "policy")));

        await _d.StopAsync();
        await _d.StartAgainAsync();
        m = Client();
        var view = await m.GetPolicyAsync(new GetPolicyRequest { Repository = "main" }, DaemonFixture.As(_admin));
        Assert.Equal(stored, view.Policy);
        var forget = await m.ForgetAsync(new ForgetRequest { Repository = "main", Policy = new RetentionPolicy { KeepTags = { "nothing" } }, DryRun = true }, DaemonFixture.As(_operator));
        Assert.Equal(["protected"], forget.Groups.Single().Decisions.Single(d => d.Id == snapshot.Id).Reasons);
    }
}
