using Bunker.Client.Postgres.Wal;

namespace Bunker.Client.Tests.Postgres;

public sealed class LsnTests
{
    [Theory]
    [InlineData("0/0", 0UL)]
    [InlineData("FFFFFFFF/FFFFFFFF", ulong.MaxValue)]
    [InlineData("0/2000028", 0x2000028UL)]
    [InlineData("16/B374D848", 0x16_B374D848UL)]
    [InlineData("1/0", 0x1_0000_0000UL)]
    public void Text_and_value_round_trip(string text, ulong value)
    {
        var lsn = Lsn.Parse(text);
        Assert.Equal(value, lsn.Value);
        Assert.Equal(text, lsn.ToString());
        Assert.True(Lsn.TryParse(text, out var again));
        Assert.Equal(lsn, again);
    }

    [Theory]
    [InlineData("16/b374d848", "16/B374D848")]
    [InlineData("00000016/0000000A", "16/A")]
    public void Parse_accepts_lower_case_and_leading_zeros_and_prints_the_canonical_form(string text, string canonical)
    {
        Assert.Equal(canonical, Lsn.Parse(text).ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("1")]
    [InlineData("1/")]
    [InlineData("/1")]
    [InlineData("G/1")]
    [InlineData("1/2/3")]
    [InlineData("123456789/0")]
    [InlineData("0/123456789")]
    [InlineData(" 1/2")]
    [InlineData("1/2 ")]
    [InlineData("+1/2")]
    [InlineData("-1/2")]
    [InlineData("0x1/2")]
    public void Malformed_text_is_refused_and_quoted(string text)
    {
        Assert.False(Lsn.TryParse(text, out _));
        var error = Assert.Throws<FormatException>(() => Lsn.Parse(text));
        Assert.Contains($"'{text}'", error.Message);
    }

    [Fact]
    public void Null_is_refused_by_TryParse()
    {
        Assert.False(Lsn.TryParse(null, out var lsn));
        Assert.Equal(default, lsn);
    }

    [Fact]
    public void Locations_order_by_value_across_the_high_half()
    {
        var low = Lsn.Parse("0/FFFFFFFF");
        var high = Lsn.Parse("1/0");
        Assert.True(low < high);
        Assert.True(high > low);
        Assert.True(low <= Lsn.Parse("0/FFFFFFFF") && low >= Lsn.Parse("0/FFFFFFFF"));
        Assert.False(high <= low);
        Assert.True(low.CompareTo(high) < 0);
        Assert.Equal(0, high.CompareTo(Lsn.Parse("1/0")));
        Assert.Equal([low, high], new[] { high, low }.Order().ToArray());
    }

    [Theory]
    [InlineData("0/2000028", 16 << 20, 2UL)]
    [InlineData("1/0", 16 << 20, 256UL)]
    [InlineData("1/3FFFFFF", 64 << 20, 64UL)]
    [InlineData("1/4000000", 64 << 20, 65UL)]
    public void Segment_number_is_the_value_over_the_segment_size(string text, int segmentSize, ulong segment)
    {
        Assert.Equal(segment, Lsn.Parse(text).SegmentNumber(segmentSize));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1 << 19)]
    [InlineData(3 << 20)]
    public void Segment_number_refuses_sizes_PostgreSQL_cannot_have(int segmentSize)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Lsn.Parse("1/0").SegmentNumber(segmentSize));
    }
}
