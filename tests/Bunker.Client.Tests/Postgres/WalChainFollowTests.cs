using Bunker.Client.Postgres.Wal;
using static Bunker.Client.Tests.Postgres.WalArchiveBuilder;

namespace Bunker.Client.Tests.Postgres;

public sealed class WalChainFollowTests
{
    private static WalCoverage Follow(uint timeline, string start, string stop, IEnumerable<ArchivedWal> archive, IReadOnlyDictionary<uint, TimelineHistory>? histories = null) =>
        WalChain.Follow(timeline, L(start), L(stop), archive.ToList(), histories ?? NoHistories, SegmentSize);

    [Fact]
    public void A_linear_chain_covers_from_the_backup_stop_to_the_end_of_the_last_segment()
    {
        var coverage = Follow(1, "0/2000028", "0/2000100", Segments(1, 1, 9));
        Assert.Equal(L("0/2000100"), coverage.From);
        Assert.Equal(L("0/A000000"), coverage.To);
        Assert.Equal(Epoch.AddMinutes(9), coverage.ToTime);
        Assert.Equal(1u, coverage.TargetTimeline);
        Assert.Equal([1u], coverage.Timelines);
        Assert.Null(coverage.FirstGap);
        Assert.Equal(Names(1, 2, 9), coverage.Required);
    }

    [Fact]
    public void A_gap_in_the_middle_ends_the_chain_and_is_named()
    {
        var coverage = Follow(1, "0/2000028", "0/2000100", Segments(1, 2, 9, except: 6));
        Assert.Equal(Name(1, 6), coverage.FirstGap);
        Assert.Equal(L("0/6000000"), coverage.To);
        Assert.Equal(Epoch.AddMinutes(5), coverage.ToTime);
        Assert.Equal(Names(1, 2, 5), coverage.Required);
    }

    [Fact]
    public void A_missing_tail_is_the_end_of_the_archive_not_a_gap()
    {
        var coverage = Follow(1, "0/2000028", "0/2000100", Segments(1, 2, 5));
        Assert.Null(coverage.FirstGap);
        Assert.Equal(L("0/6000000"), coverage.To);
    }

    [Fact]
    public void Without_the_backups_own_segments_the_coverage_ends_before_it_starts()
    {
        var coverage = Follow(1, "0/2000028", "0/3000100", Segments(1, 4, 6));
        Assert.Equal(Name(1, 2), coverage.FirstGap);
        Assert.Equal(L("0/2000000"), coverage.To);
        Assert.True(coverage.To < coverage.From);
        Assert.Null(coverage.ToTime);
        Assert.Empty(coverage.Required);
        Assert.Equal([1u], coverage.Timelines);
    }

    [Fact]
    public void Partial_and_backup_history_files_never_stand_in_for_a_segment()
    {
        var archive = Segments(1, 2, 5, except: 3)
            .Append(Archived("000000010000000000000003.partial", Epoch))
            .Append(Archived("000000010000000000000002.00000028.backup", Epoch))
            .Append(Archived("00000002.history", Epoch));
        var coverage = Follow(1, "0/2000028", "0/2000100", archive);
        Assert.Equal(Name(1, 3), coverage.FirstGap);
        Assert.Equal([Name(1, 2)], coverage.Required);
    }

    [Fact]
    public void A_segment_listed_twice_counts_from_its_first_push()
    {
        var archive = Segments(1, 2, 3).Append(Archived(Name(1, 3), Epoch.AddHours(5)));
        Assert.Equal(Epoch.AddMinutes(3), Follow(1, "0/2000028", "0/2000100", archive).ToTime);
    }

    [Fact]
    public void A_switch_to_timeline_2_reads_the_switch_segment_and_later_ones_from_timeline_2()
    {
        var histories = Histories((2, "1\t0/5000100\tno recovery target specified\n"));
        var archive = Segments(1, 1, 6)                       // the old primary kept archiving 5 and 6 on timeline 1
            .Append(Archived("000000010000000000000005.partial", Epoch))
            .Concat(Segments(2, 5, 8));
        var coverage = Follow(1, "0/1000028", "0/1000100", archive, histories);
        Assert.Equal(Names(1, 1, 4).Concat(Names(2, 5, 8)), coverage.Required);
        Assert.Equal(2u, coverage.TargetTimeline);
        Assert.Equal([1u, 2u], coverage.Timelines);
        Assert.Equal(L("0/9000000"), coverage.To);
        Assert.Null(coverage.FirstGap);
    }

    [Fact]
    public void After_a_switch_the_old_timelines_copy_of_the_switch_segment_does_not_fill_a_gap()
    {
        var histories = Histories((2, "1\t0/5000100\tno recovery target specified\n"));
        var archive = Segments(1, 1, 6).Concat(Segments(2, 5, 8, except: 5));
        var coverage = Follow(1, "0/1000028", "0/1000100", archive, histories);
        Assert.Equal(Name(2, 5), coverage.FirstGap);
        Assert.Equal(L("0/5000000"), coverage.To);
        Assert.Equal(2u, coverage.TargetTimeline);
        Assert.Equal([1u], coverage.Timelines); // the chain never got to timeline 2's WAL
    }

    [Fact]
    public void A_timeline_that_branched_before_the_backup_stopped_is_not_followed()
    {
        var histories = Histories((2, "1\t0/5000100\tno recovery target specified\n"));
        var archive = Segments(1, 4, 9).Concat(Segments(2, 5, 12));
        var coverage = Follow(1, "0/4000028", "0/6000000", archive, histories);
        Assert.Equal(1u, coverage.TargetTimeline);
        Assert.Equal([1u], coverage.Timelines);
        Assert.Equal(Names(1, 4, 9), coverage.Required);
        Assert.Null(coverage.FirstGap); // timeline 2's later segments are not on this path
    }

    [Fact]
    public void Of_two_branches_from_the_backups_timeline_the_highest_is_followed()
    {
        var histories = Histories(
            (2, "1\t0/5000100\tno recovery target specified\n"),
            (3, "1\t0/6000200\tat restore point \"before drop\"\n"));
        var archive = Segments(1, 1, 7).Concat(Segments(2, 5, 7)).Concat(Segments(3, 6, 9));
        var coverage = Follow(1, "0/1000028", "0/1000100", archive, histories);
        Assert.Equal(3u, coverage.TargetTimeline);
        Assert.Equal([1u, 3u], coverage.Timelines);
        Assert.Equal(Names(1, 1, 5).Concat(Names(3, 6, 9)), coverage.Required);
    }

    [Fact]
    public void Of_two_branches_the_highest_that_continues_the_backup_is_followed()
    {
        var histories = Histories(
            (2, "1\t0/7000000\tno recovery target specified\n"),
            (3, "1\t0/5000100\tno recovery target specified\n"));
        var archive = Segments(1, 1, 8).Concat(Segments(2, 7, 9)).Concat(Segments(3, 5, 9));
        var coverage = Follow(1, "0/1000028", "0/6000000", archive, histories);
        Assert.Equal(2u, coverage.TargetTimeline);
        Assert.Equal(Names(1, 1, 6).Concat(Names(2, 7, 9)), coverage.Required);
    }

    [Fact]
    public void A_chain_crosses_several_timelines_from_a_backup_taken_on_a_middle_one()
    {
        var histories = Histories(
            (2, "1\t0/3000000\tno recovery target specified\n"),
            (3, "1\t0/3000000\tno recovery target specified\n\n2\t0/5000080\tno recovery target specified\n"),
            (4, "1\t0/3000000\tno recovery target specified\n\n2\t0/5000080\tno recovery target specified\n\n3\t0/5000F00\tx\n"));
        var archive = Segments(1, 1, 3).Concat(Segments(2, 3, 6)).Concat(Segments(3, 5, 6)).Concat(Segments(4, 5, 8));
        var coverage = Follow(2, "0/3800000", "0/3900000", archive, histories);
        Assert.Equal(4u, coverage.TargetTimeline);
        // Timeline 3 lived inside segment 5, so its WAL is read from timeline 4's copy.
        Assert.Equal([2u, 3u, 4u], coverage.Timelines);
        Assert.Equal(Names(2, 3, 4).Concat(Names(4, 5, 8)), coverage.Required);
    }

    [Fact]
    public void A_hundred_thousand_segments_are_followed_across_XLogId_boundaries()
    {
        var archive = Segments(1, 1, 100_000, except: 99_990).ToList();
        var coverage = WalChain.Follow(1, L("0/1000028"), L("0/1000100"), archive, NoHistories, SegmentSize);
        Assert.Equal(99_989, coverage.Required.Count);
        Assert.Equal(Name(1, 99_990), coverage.FirstGap);
        Assert.Equal(99_990UL * SegmentSize, coverage.To.Value);
        Assert.Equal("000000010000018600000095", coverage.Required[^1]);
    }

    [Fact]
    public void Inconsistent_arguments_are_refused()
    {
        var archive = Segments(1, 1, 3).ToList();
        var misfiled = new Dictionary<uint, TimelineHistory> { [3] = TimelineHistory.Parse(2, "1\t0/1\tr\n") };
        Assert.Contains("filed under timeline 3", Assert.Throws<ArgumentException>(() => WalChain.Follow(1, L("0/1000028"), L("0/1000100"), archive, misfiled, SegmentSize)).Message);
        Assert.Contains("before its start", Assert.Throws<ArgumentException>(() => WalChain.Follow(1, L("0/2000000"), L("0/1000000"), archive, NoHistories, SegmentSize)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => WalChain.Follow(0, L("0/1000028"), L("0/1000100"), archive, NoHistories, SegmentSize));
        var otherSize = new List<ArchivedWal> { new(WalFileName.Parse(Name(1, 1), 64 << 20), Epoch) };
        Assert.Contains("another segment size", Assert.Throws<ArgumentException>(() => WalChain.Follow(1, L("0/1000028"), L("0/1000100"), otherSize, NoHistories, SegmentSize)).Message);
        var unparsed = new List<ArchivedWal> { default };
        Assert.Contains("unparsed", Assert.Throws<ArgumentException>(() => WalChain.Follow(1, L("0/1000028"), L("0/1000100"), unparsed, NoHistories, SegmentSize)).Message);
    }
}
