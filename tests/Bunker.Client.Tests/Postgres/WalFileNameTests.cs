using Bunker.Client.Postgres.Wal;

namespace Bunker.Client.Tests.Postgres;

public sealed class WalFileNameTests
{
    private const int Mib16 = 16 << 20;
    private const int Mib64 = 64 << 20;

    [Theory]
    [InlineData("0000000A0000001600000003", WalFileKind.Segment, 10u, 0x1603UL, "16/3000000")]
    [InlineData("000000010000000000000002.00000028.backup", WalFileKind.BackupLabel, 1u, 2UL, "0/2000028")] // starts at the backup's start
    [InlineData("000000010000000000000005.partial", WalFileKind.Partial, 1u, 5UL, "0/5000000")]
    public void Names_with_a_segment_give_kind_timeline_segment_and_start(string name, WalFileKind kind, uint timeline, ulong segment, string start)
    {
        var file = WalFileName.Parse(name, Mib16);
        Assert.Equal(name, file.Name);
        Assert.Equal(name, file.ToString());
        Assert.Equal(kind, file.Kind);
        Assert.Equal(timeline, file.Timeline);
        Assert.Equal(segment, file.Segment);
        Assert.Equal(Lsn.Parse(start), file.StartLsn(Mib16));
    }

    [Fact]
    public void A_history_name_gives_its_timeline_and_no_location()
    {
        var file = WalFileName.Parse("0000001A.history", Mib16);
        Assert.Equal(WalFileKind.History, file.Kind);
        Assert.Equal(26u, file.Timeline);
        Assert.Equal(0UL, file.Segment);
        Assert.Throws<InvalidOperationException>(() => file.StartLsn(Mib16));
        Assert.Equal("0000001A.history", WalFileName.HistoryName(26));
    }

    [Theory]
    [InlineData("0000000100000000000000FF", Mib16, 255UL, "0/FF000000")]
    [InlineData("000000010000000100000000", Mib16, 256UL, "1/0")]
    [InlineData("000000010000000100000001", Mib16, 257UL, "1/1000000")]
    [InlineData("00000001000000000000003F", Mib64, 63UL, "0/FC000000")]
    [InlineData("000000010000000100000000", Mib64, 64UL, "1/0")]
    [InlineData("000000010000000200000003", Mib64, 131UL, "2/C000000")]
    public void Segment_numbers_carry_across_the_XLogId_boundary(string name, int segmentSize, ulong segment, string start)
    {
        var file = WalFileName.Parse(name, segmentSize);
        Assert.Equal(segment, file.Segment);
        Assert.Equal(Lsn.Parse(start), file.StartLsn(segmentSize));
        Assert.Equal(name, WalFileName.SegmentName(1, segment, segmentSize));
    }

    [Theory]
    [InlineData(1 << 20)]
    [InlineData(Mib16)]
    [InlineData(Mib64)]
    [InlineData(1 << 30)]
    public void Segment_names_round_trip_for_every_size(int segmentSize)
    {
        ulong perXLogId = 0x1_0000_0000UL / (ulong)segmentSize;
        foreach (ulong segment in new ulong[] { 0, 1, perXLogId - 1, perXLogId, perXLogId + 1, 12345 * perXLogId + 7, (ulong)uint.MaxValue * perXLogId + perXLogId - 1 })
        {
            string name = WalFileName.SegmentName(0xFFFFFFFF, segment, segmentSize);
            var file = WalFileName.Parse(name, segmentSize);
            Assert.Equal(segment, file.Segment);
            Assert.Equal(0xFFFFFFFFu, file.Timeline);
            Assert.Equal(segment * (ulong)segmentSize, file.StartLsn(segmentSize).Value);
        }
    }

    [Fact]
    public void Segment_name_refuses_timeline_0_and_segments_past_the_address_space()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => WalFileName.SegmentName(0, 1, Mib16));
        Assert.Throws<ArgumentOutOfRangeException>(() => WalFileName.SegmentName(1, 0x1_0000_0000UL * 256, Mib16));
        Assert.Throws<ArgumentOutOfRangeException>(() => WalFileName.HistoryName(0));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("00000001000000000000000a", "lower-case")]
    [InlineData("0000000a.history", "lower-case")]
    [InlineData("000000010000000000000002.0000002a.backup", "lower-case")]
    [InlineData("0000000100000000000000", "not a WAL file name")]
    [InlineData("00000001000000000000000001", "not a WAL file name")]
    [InlineData("000000010000000000000001.partial.gz", "not a WAL file name")]
    [InlineData("00000001.HISTORY", "not a WAL file name")]
    [InlineData("1.history", "not a WAL file name")]
    [InlineData("000000010000000000000001.backup", "not a WAL file name")]
    [InlineData("G00000010000000000000001", "'G' where a hex digit belongs")]
    [InlineData("00000001000000000000010 ", "' ' where a hex digit belongs")]
    [InlineData("000000010000000000000100", "must be below 00000100")]
    [InlineData("000000000000000000000001", "timeline 0")]
    [InlineData("00000000.history", "timeline 0")]
    [InlineData("../000000010000000000000001", "path separator")]
    [InlineData("pg_wal/000000010000000000000001", "path separator")]
    [InlineData("0000000/.history", "path separator")]
    [InlineData("00000001000000000000\\001", "path separator")]
    public void Names_that_are_not_exactly_what_PostgreSQL_writes_are_refused_with_the_reason(string name, string reason)
    {
        Assert.False(WalFileName.TryParse(name, Mib16, out _, out var why));
        Assert.Contains(reason, why);
        var error = Assert.Throws<ArgumentException>(() => WalFileName.Parse(name, Mib16));
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void The_low_part_limit_depends_on_the_segment_size()
    {
        Assert.True(WalFileName.TryParse("0000000100000000000000FF", Mib16, out _, out _));
        Assert.False(WalFileName.TryParse("000000010000000000000040", Mib64, out _, out var why));
        Assert.Contains("must be below 00000040", why);
        Assert.False(WalFileName.TryParse("000000010000000000000001.01000000.backup", 1 << 20, out _, out why));
        Assert.Contains("not inside a 1 MiB segment", why);
    }

    [Fact]
    public void A_name_parsed_for_one_segment_size_refuses_to_give_a_location_for_another()
    {
        var file = WalFileName.Parse("000000010000000100000000", Mib16);
        var error = Assert.Throws<ArgumentException>(() => file.StartLsn(Mib64));
        Assert.Contains("16 MiB", error.Message);
    }

    [Fact]
    public void Segment_sizes_PostgreSQL_cannot_have_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => WalFileName.TryParse("000000010000000000000001", 3 << 20, out _, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => WalFileName.SegmentName(1, 1, 512 << 10));
    }
}
