using System.Text;
using System.Runtime.Versioning;
using Bunker.Client.Postgres.Tar;
using Bunker.Tests.Shared;

namespace Bunker.Client.Tests.Postgres.Tar;

/// <summary>The tar dialects and corner cases a well-formed archive may use, each unpacked to what it says.</summary>
[SupportedOSPlatform("linux")]
public sealed class TarExtractorFormatTests : IDisposable
{
    private readonly ScratchDirectory _scratch = FileTrees.Scratch("bunker-tar-format");

    private string Target => _scratch.Combine("target");

    public void Dispose() => _scratch.Dispose();

    private async Task<TarExtractResult> ExtractAsync(TarBuilder archive, TarExtractOptions? options = null)
    {
        await using var stream = new ChoppyStream(new MemoryStream(archive.ToArray()), maxRead: 700);
        return await TarExtractor.ExtractAsync(stream, Target, options ?? new TarExtractOptions());
    }

    private string Read(string path) => File.ReadAllText(Path.Combine(Target, path));

    private UnixFileMode Mode(string path) => File.GetUnixFileMode(Path.Combine(Target, path));

    [Fact]
    public async Task Long_names_come_from_the_ustar_prefix_a_gnu_long_name_or_a_pax_path()
    {
        string deep = string.Join('/', Enumerable.Repeat("directory_name_of_thirty_bytes", 6));
        var archive = new TarBuilder()
            .Member("in-prefix", (byte)'0', "p"u8.ToArray(), 0x1A4, 0, prefix: "ustar/prefix")
            .LongName(deep + "/gnu")
            .File("truncated-gnu-name", "g")
            .Pax(("path", deep + "/pax"), ("mtime", "1700000000.5"), ("uname", "someone"))
            .File("truncated-pax-name", "x")
            .End();

        var result = await ExtractAsync(archive);

        Assert.Equal("p", Read("ustar/prefix/in-prefix"));
        Assert.Equal("g", Read(deep + "/gnu"));
        Assert.Equal("x", Read(deep + "/pax"));
        Assert.Equal(3, result.Files);
        Assert.Equal(2 + 6, result.Directories);
        Assert.False(File.Exists(Path.Combine(Target, "truncated-gnu-name")));
    }

    [Fact]
    public async Task Sizes_come_from_base_256_fields_and_pax_records()
    {
        var content = new byte[2000];
        new Random(7).NextBytes(content);
        var archive = new TarBuilder()
            .Member("base256", (byte)'0', content, 0x1A4, 0, patch: h =>
            {
                h.AsSpan(124, 12).Clear();
                h[124] = 0x80;
                h[134] = 2000 >> 8;
                h[135] = 2000 & 0xFF;
            })
            // A PAX size overrides the header's (which octal could not hold above 8 GiB).
            .Pax(("size", "2000"))
            .Member("pax-size", (byte)'0', content, 0x1A4, 0, patch: h => TarBuilder.Text(h, 124, 12, "00000000000"))
            .End();

        var result = await ExtractAsync(archive);

        Assert.Equal(content, File.ReadAllBytes(Path.Combine(Target, "base256")));
        Assert.Equal(content, File.ReadAllBytes(Path.Combine(Target, "pax-size")));
        Assert.Equal(4000, result.Bytes);
    }

    [Fact]
    public async Task Files_larger_than_the_buffer_arrive_whole_through_short_reads()
    {
        var content = new byte[(3 << 20) + 517];
        new Random(11).NextBytes(content);
        var archive = new TarBuilder().Member("pg_wal/000000010000000000000001", (byte)'0', content, 0x180, 0).File("after", "a").End();

        await using var stream = new ChoppyStream(new MemoryStream(archive.ToArray()), maxRead: 65_000);
        var result = await TarExtractor.ExtractAsync(stream, Target, new TarExtractOptions());

        Assert.Equal(content, File.ReadAllBytes(Path.Combine(Target, "pg_wal/000000010000000000000001")));
        Assert.Equal("a", Read("after"));
        Assert.Equal(content.Length + 1, result.Bytes);
    }

    [Fact]
    public async Task Modes_and_mtimes_come_from_the_headers_without_setuid_or_setgid()
    {
        var archive = new TarBuilder()
            .Directory("./", mode: 0x1FF)
            .Directory("./pg_wal/", mode: 0x1E8 /* 0750 */, mtime: 1_600_000_000)
            .File("pg_wal/setuid", "s", mode: 0xDED /* 06755 */, mtime: 1_500_000_000)
            .File("sticky", "t", mode: 0x3ED /* 01755 */)
            .Member("old-type", 0, "o"u8.ToArray(), 0x100 /* 0400 */, 1_400_000_000)
            .End();

        await ExtractAsync(archive, new TarExtractOptions { TargetMode = 0x1E8 });

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute, File.GetUnixFileMode(Target));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute, Mode("pg_wal"));
        Assert.Equal((UnixFileMode)0x1ED, Mode("pg_wal/setuid"));
        Assert.Equal((UnixFileMode)0x3ED, Mode("sticky"));
        Assert.Equal(UnixFileMode.UserRead, Mode("old-type"));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_600_000_000).UtcDateTime, Directory.GetLastWriteTimeUtc(Path.Combine(Target, "pg_wal")));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_500_000_000).UtcDateTime, File.GetLastWriteTimeUtc(Path.Combine(Target, "pg_wal/setuid")));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_400_000_000).UtcDateTime, File.GetLastWriteTimeUtc(Path.Combine(Target, "old-type")));
    }

    [Fact]
    public async Task A_file_listed_before_its_directory_gets_parents_that_take_the_later_header()
    {
        var archive = new TarBuilder()
            .File("base/16384/1259", "relation")
            .Directory("base/16384/", mode: 0x1E8, mtime: 1_600_000_000)
            .Directory("base/16384/", mode: 0x1C0, mtime: 1_650_000_000)
            .End();

        var result = await ExtractAsync(archive);

        Assert.Equal("relation", Read("base/16384/1259"));
        // "base" was only implied: owner-only, as PostgreSQL wants its directories.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, Mode("base"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, Mode("base/16384"));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_650_000_000).UtcDateTime, Directory.GetLastWriteTimeUtc(Path.Combine(Target, "base/16384")));
        Assert.Equal(new TarExtractResult(1, 2, 8), result);
    }

    [Fact]
    public async Task Global_headers_and_whatever_follows_the_end_marker_are_ignored()
    {
        var archive = new TarBuilder()
            .Member("pax_global_header", (byte)'g', Encoding.UTF8.GetBytes("22 comment=whatever x\n"), 0x1A4, 0)
            .File("backup_label", "label")
            .End()
            .Raw(Encoding.UTF8.GetBytes("garbage a tar writer padded with, never read as a member"));

        var result = await ExtractAsync(archive);

        Assert.Equal("label", Read("backup_label"));
        Assert.Equal(new TarExtractResult(1, 0, 5), result);
        Assert.Equal([Path.Combine(Target, "backup_label")], Directory.GetFileSystemEntries(Target));
    }

    [Fact]
    public async Task Owners_are_set_when_asked()
    {
        var archive = new TarBuilder().Directory("global/").File("global/pg_control", "c").End();

        await ExtractAsync(archive, new TarExtractOptions { OwnerUid = 4242, OwnerGid = 4343 });

        var manifest = await FileTrees.ManifestAsync(Target);
        Assert.Equal(3, manifest.Length);
        Assert.All(manifest, line => Assert.Contains("uid=4242 gid=4343", line));
    }
}
