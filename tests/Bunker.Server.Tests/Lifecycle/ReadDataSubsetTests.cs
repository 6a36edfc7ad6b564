using Bunker.Chunking;
using Bunker.Index;
using Bunker.Server.Lifecycle;

namespace Bunker.Server.Tests.Lifecycle;

public sealed class ReadDataSubsetTests
{
    private static readonly PackId[] Packs = [.. Enumerable.Range(0, 3000).Select(i => PackId.FromHash(ChunkDigest.Compute(BitConverter.GetBytes(i))))];

    [Fact]
    public void The_groups_of_n_over_m_cover_every_pack_exactly_once()
    {
        var groups = Enumerable.Range(1, 5).Select(n => ReadDataSubset.Parse($"{n}/5")!).ToArray();
        foreach (var pack in Packs)
            Assert.Equal(1, groups.Count(g => g(pack)));
        // Even groups: each holds a fifth, give or take.
        foreach (var group in groups)
            Assert.InRange(Packs.Count(group), 500, 700);
    }

    [Fact]
    public void A_percentage_picks_about_that_share_and_the_whole_is_no_filter()
    {
        var tenth = ReadDataSubset.Parse("10%")!;
        Assert.InRange(Packs.Count(tenth), 200, 400);
        Assert.Null(ReadDataSubset.Parse("100%"));
        Assert.Null(ReadDataSubset.Parse("1/1"));
        Assert.Null(ReadDataSubset.Parse(""));
        Assert.NotNull(ReadDataSubset.Parse("0.5%"));
    }

    [Theory]
    [InlineData("0%")]
    [InlineData("101%")]
    [InlineData("-5%")]
    [InlineData("%")]
    [InlineData("0/5")]
    [InlineData("6/5")]
    [InlineData("1/0")]
    [InlineData("1/2000000")]
    [InlineData("a/b")]
    [InlineData("1/2/3")]
    [InlineData("ten percent")]
    public void Anything_else_is_refused_naming_the_forms(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => ReadDataSubset.Parse(text));
        Assert.Contains("read-data-subset", e.Message);
    }

    [Fact]
    public void A_schedule_turns_an_n_over_m_subset_through_its_groups()
    {
        Assert.Equal(["1/4", "2/4", "3/4", "4/4", "1/4"], Enumerable.Range(0, 5).Select(run => ReadDataSubset.Rotate("3/4", (ulong)run)));
        Assert.Equal("10%", ReadDataSubset.Rotate("10%", 7));
        Assert.Equal("", ReadDataSubset.Rotate("", 7));
    }
}
