using Bunker.Client.Postgres.Wal;

namespace Bunker.Client.Tests.Postgres;

public sealed class TimelineHistoryTests
{
    [Fact]
    public void A_first_promotion_history_names_timeline_1_and_where_it_ended()
    {
        var history = TimelineHistory.Parse(2, "1\t0/3000000\tno recovery target specified\n");
        Assert.Equal(2u, history.Timeline);
        Assert.Equal([(1u, Lsn.Parse("0/3000000"))], history.Ancestors);
        Assert.Equal(Lsn.Parse("0/3000000"), history.EndOf(1));
        Assert.Null(history.EndOf(2));
        Assert.True(history.Contains(1));
        Assert.True(history.Contains(2));
        Assert.False(history.Contains(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => history.EndOf(3));
    }

    [Fact]
    public void A_later_history_copies_its_parents_lines_after_a_blank_line_as_PostgreSQL_writes_it()
    {
        // writeTimeLineHistory copies the parent's file and prefixes the new line with "\n".
        const string text = "1\t0/3000000\tno recovery target specified\n\n3\t0/5000100\tat restore point \"before drop\"\n";
        var history = TimelineHistory.Parse(4, text);
        Assert.Equal([(1u, Lsn.Parse("0/3000000")), (3u, Lsn.Parse("0/5000100"))], history.Ancestors);
        Assert.Equal(Lsn.Parse("0/5000100"), history.EndOf(3));
        Assert.False(history.Contains(2));
    }

    [Fact]
    public void Comments_carriage_returns_spaces_and_missing_reasons_are_accepted()
    {
        const string text = "# made by hand\r\n  1   0/3000000\r\n\r\n2\t0/3000000\tsame point\r\n";
        var history = TimelineHistory.Parse(3, text);
        Assert.Equal([(1u, Lsn.Parse("0/3000000")), (2u, Lsn.Parse("0/3000000"))], history.Ancestors);
    }

    [Theory]
    [InlineData(3u, "", "no entries")]
    [InlineData(3u, "# nothing\n\n", "no entries")]
    [InlineData(3u, "x\t0/1\treason\n", "line 1: expected a decimal timeline")]
    [InlineData(3u, "0\t0/1\treason\n", "line 1: expected a decimal timeline")]
    [InlineData(3u, "99999999999\t0/1\n", "line 1: expected a decimal timeline")]
    [InlineData(3u, "1\n", "line 1: expected whitespace and a switch point")]
    [InlineData(3u, "1/0/1\n", "line 1: expected whitespace and a switch point")]
    [InlineData(3u, "1\t0/G\treason\n", "line 1: '0/G' is not a switch point")]
    [InlineData(2u, "\n2\t0/1\tr\n", "line 2: ancestor timeline 2 is not below 2")]
    [InlineData(3u, "2\t0/1\tr\n1\t0/2\tr\n", "line 2: timeline 1 does not follow 2")]
    [InlineData(3u, "1\t0/5\tr\n2\t0/4\tr\n", "line 2: switch point 0/4 is before the previous one, 0/5")]
    public void Malformed_content_is_refused_naming_the_file_and_line(uint timeline, string text, string reason)
    {
        var error = Assert.Throws<InvalidDataException>(() => TimelineHistory.Parse(timeline, text));
        Assert.Contains(reason, error.Message);
        Assert.Contains(WalFileName.HistoryName(timeline), error.Message);
    }

    [Fact]
    public void Timelines_below_2_have_no_history()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TimelineHistory.Parse(1, "1\t0/1\tr\n"));
        Assert.Throws<ArgumentOutOfRangeException>(() => TimelineHistory.Parse(0, ""));
    }
}
