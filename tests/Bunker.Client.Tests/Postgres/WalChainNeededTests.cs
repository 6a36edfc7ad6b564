using Bunker.Client.Postgres.Wal;
using static Bunker.Client.Tests.Postgres.WalArchiveBuilder;

namespace Bunker.Client.Tests.Postgres;

public sealed class WalChainNeededTests
{
    private static readonly IReadOnlyDictionary<uint, TimelineHistory> SwitchAt5 = Histories((2, "1\t0/5000100\tno recovery target specified\n"));

    private static (IReadOnlyList<string> Needed, IReadOnlyList<string> Missing) Needed(string target, uint targetTimeline, IEnumerable<ArchivedWal> archive, IReadOnlyDictionary<uint, TimelineHistory>? histories = null) =>
        WalChain.Needed(1, L("0/2000028"), L(target), targetTimeline, archive.ToList(), histories ?? NoHistories, SegmentSize);

    [Fact]
    public void A_target_inside_the_archive_needs_the_segments_up_to_its_own_and_misses_none()
    {
        var (needed, missing) = Needed("0/5000010", 1, Segments(1, 1, 9));
        Assert.Equal(Names(1, 2, 5), needed);
        Assert.Empty(missing);
    }

    [Fact]
    public void A_target_beyond_the_archive_lists_the_segments_it_lacks()
    {
        var (needed, missing) = Needed("0/B000000", 1, Segments(1, 1, 9, except: 4));
        Assert.Equal(Names(1, 2, 11), needed);
        Assert.Equal([Name(1, 4), Name(1, 10), Name(1, 11)], missing);
    }

    [Fact]
    public void A_target_on_a_switched_timeline_needs_that_timelines_segments_from_the_switch_on()
    {
        var archive = Segments(1, 1, 6).Concat(Segments(2, 5, 6));
        var (needed, missing) = Needed("0/7000000", 2, archive, SwitchAt5);
        Assert.Equal(Names(1, 2, 4).Concat(Names(2, 5, 7)), needed);
        Assert.Equal([Name(2, 7)], missing);
    }

    [Fact]
    public void A_target_before_the_switch_on_the_new_timeline_needs_only_the_old_timelines_segments()
    {
        var (needed, missing) = Needed("0/4000000", 2, Segments(1, 1, 4), SwitchAt5);
        Assert.Equal(Names(1, 2, 4), needed);
        Assert.Empty(missing);
    }

    [Fact]
    public void Staying_on_the_backups_timeline_ignores_later_branches()
    {
        var (needed, _) = Needed("0/6000000", 1, Segments(1, 1, 6), SwitchAt5);
        Assert.Equal(Names(1, 2, 6), needed);
    }

    [Theory]
    [InlineData("0/1000000", 1u, "before the backup's start")]
    [InlineData("0/6000000", 3u, "no history file for timeline 3")]
    [InlineData("0/6000000", 4u, "timeline 4 does not descend from the backup's timeline 1")]
    [InlineData("0/6000000", 5u, "left the backup's timeline 1 at 0/1000000, before the backup started at 0/2000028")]
    [InlineData("FFFFFFFF/0", 1u, "segments past the backup's start")]
    public void Targets_the_backup_cannot_reach_are_refused_with_the_reason(string target, uint targetTimeline, string reason)
    {
        var histories = Histories((2, "1\t0/5000100\tr\n"), (4, "2\t0/5000100\tr\n"), (5, "1\t0/1000000\tr\n"));
        var error = Assert.Throws<ArgumentException>(() => Needed(target, targetTimeline, Segments(1, 1, 6), histories));
        Assert.Contains(reason, error.Message);
    }
}
