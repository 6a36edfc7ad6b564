using Bunker.Client.Postgres;
using Bunker.Client.Postgres.Wal;
using Bunker.Protocol.V1;
using Google.Protobuf;
using static Bunker.Client.Tests.Postgres.WalArchiveBuilder;

namespace Bunker.Client.Tests.Postgres;

/// <summary>Which base backup a restore starts from, what it refuses before writing, and what forget removes, on listings built here.</summary>
public sealed class RestorePlanTests
{
    private const ulong System = 7_300_000_000_000_000_001;

    /// <summary>A base backup on timeline 1 from segment <paramref name="start"/> to <paramref name="stop"/>, consistent at minute <paramref name="stop"/>.</summary>
    private static BaseBackup Backup(ulong start, ulong stop, string method = "none")
    {
        var snapshot = new SnapshotInfo { Id = ByteString.CopyFrom(new byte[32] { (byte)start, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31 }), SourceKind = PgSnapshots.BaseBackupKind };
        snapshot.Manifest = new SnapshotManifest();
        var labels = snapshot.Manifest.Labels;
        labels[PgSnapshots.SystemIdentifier] = System.ToString();
        labels[PgSnapshots.Timeline] = "1";
        labels[PgSnapshots.StartLsn] = new Lsn(start * SegmentSize + 40).ToString();
        labels[PgSnapshots.StopLsn] = new Lsn(stop * SegmentSize + 300).ToString();
        labels[PgSnapshots.StopTime] = PgSnapshots.Time(Epoch.AddMinutes(stop).AddSeconds(-30));
        labels[PgSnapshots.SegmentSize] = SegmentSize.ToString();
        labels[PgSnapshots.WalMethod] = method;
        return BaseBackup.From(snapshot) ?? throw new InvalidOperationException("labels not understood");
    }

    private static ArchivedWalFile File(ulong segment) =>
        new(new SnapshotInfo { TimeUnixNanos = (Epoch.AddMinutes(segment) - DateTimeOffset.UnixEpoch).Ticks * 100, Size = SegmentSize }, WalFileName.Parse(Name(1, segment), SegmentSize));

    private static PgInventory Inventory(IEnumerable<BaseBackup> backups, IEnumerable<ulong> segments) =>
        new("db1", System, SegmentSize, [.. backups], [.. segments.Select(File)], []);

    private static RecoveryTarget At(int minute) => new(RecoveryTargetKind.Time, Time: Epoch.AddMinutes(minute));

    [Fact]
    public void The_newest_backup_consistent_before_the_target_is_chosen()
    {
        var inventory = Inventory([Backup(2, 3), Backup(10, 11), Backup(20, 21)], Enumerable.Range(2, 25).Select(i => (ulong)i));
        Assert.Equal(11ul * SegmentSize + 300, RestorePlan.Choose(inventory, At(15)).Backup.Stop.Value);
        Assert.Equal(21ul * SegmentSize + 300, RestorePlan.Choose(inventory, RecoveryTarget.Latest).Backup.Stop.Value);
        Assert.Equal(3ul * SegmentSize + 300, RestorePlan.Choose(inventory, new RecoveryTarget(RecoveryTargetKind.Lsn, Lsn: new Lsn(5ul * SegmentSize))).Backup.Stop.Value);
    }

    [Fact]
    public void A_target_past_a_gap_is_refused_naming_the_missing_segment()
    {
        var inventory = Inventory([Backup(2, 3)], [2, 3, 4, 5, 7, 8, 9]);
        var e = Assert.Throws<CommandFailedException>(() => RestorePlan.Choose(inventory, At(8)));
        Assert.Contains("after the newest archived WAL", e.Message);
        Assert.Contains(Name(1, 6) + " is missing", e.Message);
        var lsn = Assert.Throws<CommandFailedException>(() => RestorePlan.Choose(inventory, new RecoveryTarget(RecoveryTargetKind.Lsn, Lsn: new Lsn(7ul * SegmentSize + 10))));
        Assert.Contains("beyond the archived WAL", lsn.Message);
        // Before the gap is fine.
        Assert.Equal(RecoveryTargetKind.Time, RestorePlan.Choose(inventory, At(5)).Target.Kind);
    }

    [Fact]
    public void A_backup_whose_own_wal_is_missing_is_refused_unless_its_tar_holds_it()
    {
        var e = Assert.Throws<CommandFailedException>(() => RestorePlan.Choose(Inventory([Backup(2, 3)], [2]), RecoveryTarget.Latest));
        Assert.Contains("cannot be made consistent", e.Message);
        Assert.Equal(RecoveryTargetKind.Latest, RestorePlan.Choose(Inventory([Backup(2, 3, method: "fetch")], []), RecoveryTarget.Latest).Target.Kind);
        Assert.Throws<CommandFailedException>(() => RestorePlan.Choose(Inventory([], [2, 3]), RecoveryTarget.Latest));
    }

    [Fact]
    public void Verify_exits_0_for_whole_windows_3_for_gaps_and_1_for_a_backup_that_cannot_be_made_consistent()
    {
        static (int Code, string Text) Verify(PgInventory inventory)
        {
            var text = new StringWriter();
            int code = PgReport.Verify(new Bunker.Client.Output.CommandOutput(text, new StringWriter(), false, false), inventory);
            return (code, text.ToString());
        }
        var whole = Verify(Inventory([Backup(2, 3)], [2, 3, 4, 5]));
        Assert.Equal(ExitCodes.Ok, whole.Code);
        Assert.Contains(": ok", whole.Text);
        var gap = Verify(Inventory([Backup(2, 3)], [2, 3, 5]));
        Assert.Equal(ExitCodes.Incomplete, gap.Code);
        Assert.Contains(Name(1, 4) + " is missing", gap.Text);
        var broken = Verify(Inventory([Backup(2, 4), Backup(6, 7)], [2, 6, 7]));
        Assert.Equal(ExitCodes.Failed, broken.Code);
        Assert.Contains("unrestorable", broken.Text);
        Assert.Equal(ExitCodes.Failed, Verify(Inventory([], [2, 3])).Code);
    }

    [Fact]
    public void Forget_removes_older_backups_and_only_the_wal_before_the_oldest_remaining_start()
    {
        var inventory = Inventory([Backup(2, 3), Backup(10, 11), Backup(20, 21)], Enumerable.Range(2, 25).Select(i => (ulong)i));
        var plan = PgForget.Plan(inventory, keepLast: 2);
        Assert.Single(plan.Backups);
        Assert.Equal(Enumerable.Range(2, 8).Select(i => Name(1, (ulong)i)), plan.Wal.Select(w => w.File.Name));

        // Without --keep-last only the WAL older than the oldest backup goes.
        var walOnly = PgForget.Plan(Inventory([Backup(2, 3), Backup(10, 11)], Enumerable.Range(0, 12).Select(i => (ulong)i)), keepLast: null);
        Assert.Empty(walOnly.Backups);
        Assert.Equal([Name(1, 0), Name(1, 1)], walOnly.Wal.Select(w => w.File.Name));
        var nothingLeft = PgForget.Plan(Inventory([], Enumerable.Range(2, 5).Select(i => (ulong)i)), keepLast: null);
        Assert.Empty(nothingLeft.Wal);
    }
}
