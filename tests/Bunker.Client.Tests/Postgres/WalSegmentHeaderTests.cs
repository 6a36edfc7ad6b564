using System.Buffers.Binary;
using System.Globalization;
using Bunker.Client.Postgres.Wal;

namespace Bunker.Client.Tests.Postgres;

/// <summary>One real 16 MiB cluster for the tests of this class; the corruption tests damage copies of its first page.</summary>
public sealed class InitdbCluster16Mib : IAsyncLifetime
{
    public InitdbCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await InitdbCluster.CreateAsync(16);

    public Task DisposeAsync()
    {
        Cluster.Dispose();
        return Task.CompletedTask;
    }
}

public sealed class WalSegmentHeaderTests(InitdbCluster16Mib fixture) : IClassFixture<InitdbCluster16Mib>
{
    private byte[] RealFirstPage()
    {
        using var file = File.OpenRead(fixture.Cluster.FirstSegmentPath);
        var page = new byte[WalSegmentHeader.Length];
        file.ReadExactly(page);
        return page;
    }

    [Fact]
    public async Task The_first_segment_of_a_real_cluster_names_its_system_timeline_and_place()
    {
        await AssertRealClusterAgrees(fixture.Cluster);
    }

    [Fact]
    public async Task A_cluster_with_64_MiB_segments_reads_as_such()
    {
        using var cluster = await InitdbCluster.CreateAsync(64);
        await AssertRealClusterAgrees(cluster);
    }

    private static async Task AssertRealClusterAgrees(InitdbCluster cluster)
    {
        var control = await cluster.ControlDataAsync();
        ulong fromControlData = ulong.Parse(control["Database system identifier"], CultureInfo.InvariantCulture);

        ulong fromPgControl = PgControl.ReadSystemIdentifier(cluster.PgControlPath);

        var page = new byte[WalSegmentHeader.Length];
        using (var file = File.OpenRead(cluster.FirstSegmentPath)) file.ReadExactly(page);
        Assert.True(WalSegmentHeader.TryRead(page, out var header, out var reason), reason);

        Assert.Equal(fromControlData, fromPgControl);
        Assert.Equal(fromControlData, header.SystemIdentifier);
        Assert.Equal(1u, header.Timeline);
        Assert.Equal(cluster.SegmentSize, header.SegmentSize);
        Assert.Equal(int.Parse(control["Bytes per WAL segment"], CultureInfo.InvariantCulture), header.SegmentSize);
        Assert.Equal(int.Parse(control["WAL block size"], CultureInfo.InvariantCulture), header.BlockSize);
        var name = WalFileName.Parse(Path.GetFileName(cluster.FirstSegmentPath), header.SegmentSize);
        Assert.Equal(name.StartLsn(header.SegmentSize).Value, header.PageAddress);
    }

    public static TheoryData<int, ulong, string> Corruptions => new()
    {
        { 0, 0x1234, "page magic 0x1234" },
        { 0, 0xD100, "page magic 0xD100" },
        { 0, 0xD200, "page magic 0xD200" },
        { 2, 0x0005, "lacks XLP_LONG_HEADER" },
        { 4, 0, "timeline 0" },
        { 8, 0x1000001, "page address 0/1000001 is not at the start of a 16 MiB segment" },
        { 24, 0, "system identifier 0" },
        { 32, 3 << 20, "segment size 3145728" },
        { 32, 1 << 19, "segment size 524288" },
        { 32, 2U << 30, "segment size 2147483648" },
        { 36, 3000, "block size 3000" },
        { 36, 1 << 17, "block size 131072" },
        { 36, 512, "block size 512" },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void A_damaged_header_is_refused_naming_the_field(int offset, ulong value, string reason)
    {
        var page = RealFirstPage();
        Assert.True(WalSegmentHeader.TryRead(page, out _, out _));
        switch (offset)
        {
            case 0 or 2: BinaryPrimitives.WriteUInt16LittleEndian(page.AsSpan(offset), (ushort)value); break;
            case 8 or 24: BinaryPrimitives.WriteUInt64LittleEndian(page.AsSpan(offset), value); break;
            default: BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(offset), (uint)value); break;
        }
        Assert.False(WalSegmentHeader.TryRead(page, out var header, out var why));
        Assert.Contains(reason, why);
        Assert.Equal(default, header);
    }

    [Fact]
    public void Later_WAL_format_magics_are_accepted()
    {
        var page = RealFirstPage();
        BinaryPrimitives.WriteUInt16LittleEndian(page, 0xD1FF);
        Assert.True(WalSegmentHeader.TryRead(page, out var header, out var reason), reason);
        Assert.Equal(1u, header.Timeline);
    }

    [Fact]
    public void A_short_start_is_refused()
    {
        var page = RealFirstPage();
        Assert.False(WalSegmentHeader.TryRead(page.AsSpan(0, WalSegmentHeader.Length - 1), out _, out var why));
        Assert.Contains("only 39 bytes", why);
    }
}
