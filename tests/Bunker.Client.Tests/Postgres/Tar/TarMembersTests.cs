using System.Text;
using Bunker.Client.Postgres.Tar;

namespace Bunker.Client.Tests.Postgres.Tar;

/// <summary>Reading one small member by name from a forward-only stream (the real base backup's are in the round-trip tests).</summary>
public sealed class TarMembersTests
{
    private static ChoppyStream Stream(TarBuilder archive) => new(new MemoryStream(archive.ToArray()), maxRead: 300);

    [Fact]
    public async Task The_first_regular_file_by_that_name_is_returned_and_nothing_after_it_is_read()
    {
        var archive = new TarBuilder()
            .Directory("./backup_label/")
            .Pax(("path", "./backup_label"))
            .File("ignored-name", "START WAL LOCATION: 0/2000028")
            .File("backup_label", "second")
            .Raw(new byte[100_000]);
        await using var stream = Stream(archive);

        var content = await TarMembers.ReadMemberAsync(stream, "backup_label", 1024);

        Assert.Equal("START WAL LOCATION: 0/2000028", Encoding.UTF8.GetString(content!));
        // Four headers and blocks before its data, its 29 bytes, and at most what one more short read brought.
        Assert.True(stream.Consumed <= 4 * 512 + 29 + 300, $"read {stream.Consumed} bytes");
    }

    [Fact]
    public async Task Content_is_cut_at_max_bytes()
    {
        var archive = new TarBuilder().File("tablespace_map", "0123456789").End();

        Assert.Equal("0123", Encoding.UTF8.GetString((await TarMembers.ReadMemberAsync(Stream(archive), "tablespace_map", 4))!));
        Assert.Empty((await TarMembers.ReadMemberAsync(Stream(archive), "tablespace_map", 0))!);
    }

    [Fact]
    public async Task A_stream_that_ends_at_its_end_marker_without_the_member_gives_null()
    {
        var archive = new TarBuilder().File("PG_VERSION", "15\n").End();

        Assert.Null(await TarMembers.ReadMemberAsync(Stream(archive), "backup_label", 1024));
    }

    [Fact]
    public async Task A_broken_stream_before_the_member_is_a_format_error()
    {
        var truncated = new TarBuilder().File("PG_VERSION", "15\n");
        var damaged = new TarBuilder().File("PG_VERSION", "15\n").CorruptLastChecksum().File("backup_label", "x").End();

        var end = await Assert.ThrowsAsync<TarFormatException>(() => TarMembers.ReadMemberAsync(Stream(truncated), "backup_label", 1024));
        var checksum = await Assert.ThrowsAsync<TarFormatException>(() => TarMembers.ReadMemberAsync(Stream(damaged), "backup_label", 1024));

        Assert.Contains("without the end marker", end.Message);
        Assert.Contains("'PG_VERSION' (header at offset 0): the header checksum does not match", checksum.Message);
    }
}
