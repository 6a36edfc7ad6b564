using Bunker.Client.Postgres.Tar;
using Bunker.Tests.Shared;

namespace Bunker.Client.Tests.Postgres.Tar;

/// <summary>Archives a server could send to do harm, or that are simply broken: each is refused by name, and nothing lands outside the target.</summary>
public sealed class TarExtractorHostileTests : IDisposable
{
    private readonly ScratchDirectory _scratch = FileTrees.Scratch("bunker-tar-hostile");

    private string Target => _scratch.Combine("target");

    // An absolute member name that would land here, where the test can look for it.
    private string Outside => _scratch.Combine("outside");

    public void Dispose() => _scratch.Dispose();

    private static readonly Dictionary<string, (Func<string, byte[]> Archive, string Refusal)> Cases = new()
    {
        ["dot-dot"] = (_ => new TarBuilder().File("../x", "escape").End().ToArray(), "'../x' is refused: the path has a '..' component"),
        ["absolute"] = (outside => new TarBuilder().File(outside, "escape").End().ToArray(), "is refused: the path is absolute"),
        ["dot-dot-inside"] = (_ => new TarBuilder().Directory("a/").File("a/../../x", "escape").End().ToArray(), "'a/../../x' is refused: the path has a '..' component"),
        ["empty-component"] = (_ => new TarBuilder().File("a//b", "x").End().ToArray(), "'a//b' is refused: the path has an empty component"),
        ["empty-name"] = (_ => new TarBuilder().File("", "x").End().ToArray(), "is refused: the path is empty"),
        ["symlink"] = (_ => new TarBuilder().Link("pg_tblspc/16384", (byte)'2', "/").End().ToArray(), "'pg_tblspc/16384' is refused: it is a symlink"),
        ["hard-link"] = (_ => new TarBuilder().Link("passwd", (byte)'1', "/etc/passwd").End().ToArray(), "'passwd' is refused: it is a hard link"),
        ["char-device"] = (_ => new TarBuilder().Member("null", (byte)'3', [], 0x1B6, 0).End().ToArray(), "'null' is refused: it is a character device"),
        ["block-device"] = (_ => new TarBuilder().Member("sda", (byte)'4', [], 0x1B6, 0).End().ToArray(), "'sda' is refused: it is a block device"),
        ["fifo"] = (_ => new TarBuilder().Member("pipe", (byte)'6', [], 0x1B6, 0).End().ToArray(), "'pipe' is refused: it is a fifo"),
        ["contiguous"] = (_ => new TarBuilder().Member("c", (byte)'7', [], 0x1B6, 0).End().ToArray(), "'c' is refused: it is of type '7'"),
        ["bad-checksum"] = (_ => new TarBuilder().File("PG_VERSION", "15\n").CorruptLastChecksum().End().ToArray(), "'PG_VERSION' (header at offset 0): the header checksum does not match"),
        ["truncated-header"] = (_ => new TarBuilder().File("a", "x").Raw(new TarBuilder().File("b", "y").ToArray()[..300]).ToArray(), "ends at offset 1324 inside a header, after member 'a'"),
        ["truncated-body"] = (_ => new TarBuilder().File("big", new string('z', 1000)).ToArray()[..(512 + 500)], "'big': the stream ends inside its data, 500 of 1000 bytes in"),
        ["truncated-padding"] = (_ => new TarBuilder().File("a", "x").ToArray()[..600], "inside the padding of its last block, after member 'a'"),
        ["no-end-marker"] = (_ => new TarBuilder().File("a", "x").ToArray(), "ends at offset 1024 without the end marker (two zero blocks), after member 'a'"),
        ["half-end-marker"] = (_ => new TarBuilder().File("a", "x").Raw(new byte[512]).ToArray(), "inside the end marker (one zero block of two)"),
        ["lone-zero-block"] = (_ => new TarBuilder().File("a", "x").Raw(new byte[512]).File("b", "y").End().ToArray(), "a lone zero block at offset 1024 is followed by data"),
        ["garbage-size"] = (_ => new TarBuilder().Member("base/1/1259", (byte)'0', [], 0x180, 0, patch: h => TarBuilder.Text(h, 124, 12, "00000x00000")).End().ToArray(),
            "'base/1/1259' (header at offset 0): the size field is not a number"),
        ["negative-size"] = (_ => new TarBuilder().Member("n", (byte)'0', [], 0x180, 0, patch: h => h.AsSpan(124, 12).Fill(0xFF)).End().ToArray(), "'n' (header at offset 0): the size field is not a number"),
        ["huge-size"] = (_ => new TarBuilder().Member("huge", (byte)'0', new byte[100], 0x180, 0, patch: h => TarBuilder.Text(h, 124, 12, "77777777777")).End().ToArray(),
            "'huge': the stream ends inside its data"),
        ["unknown-magic"] = (_ => new TarBuilder().Member("m", (byte)'0', [], 0x180, 0, patch: h => TarBuilder.Text(h, 257, 8, "nustar")).End().ToArray(), "'m' (header at offset 0): not a ustar or GNU tar header"),
        ["duplicate-file"] = (_ => new TarBuilder().File("global/pg_control", "one").File("./global/pg_control", "two").End().ToArray(),
            "'./global/pg_control' is refused: it is a duplicate of a file already extracted"),
        ["file-then-directory"] = (_ => new TarBuilder().File("pg_wal", "x").Directory("pg_wal/").End().ToArray(), "'pg_wal/' is refused: a file by that name is already extracted"),
        ["directory-then-file"] = (_ => new TarBuilder().Directory("pg_wal/").File("pg_wal", "x").End().ToArray(), "'pg_wal' is refused: a directory by that name is already extracted"),
        ["file-under-a-file"] = (_ => new TarBuilder().File("a", "x").File("a/b", "y").End().ToArray(), "'a/b' is refused: 'a' above it is a file, not a directory"),
        ["directory-with-data"] = (_ => new TarBuilder().Member("d/", (byte)'5', new byte[10], 0x1ED, 0).End().ToArray(), "'d/' is refused: a directory with 10 bytes of data"),
        ["pax-path-escape"] = (_ => new TarBuilder().Pax(("path", "../../x")).File("harmless", "escape").End().ToArray(), "'../../x' is refused: the path has a '..' component"),
        ["pax-path-nul"] = (_ => new TarBuilder().Pax(("path", "a\0b")).File("harmless", "x").End().ToArray(), "is refused: the path holds a NUL byte"),
        ["pax-bad-size"] = (_ => new TarBuilder().Pax(("size", "12ab")).File("f", "x").End().ToArray(), "PAX extended header at offset 0: the size '12ab' is not a number"),
        ["pax-bad-length"] = (_ => new TarBuilder().Member("PaxHeader", (byte)'x', "99 path=x\n"u8.ToArray(), 0x1A4, 0).File("f", "x").End().ToArray(),
            "PAX extended header at offset 0: a record's length is missing or wrong"),
        ["pax-then-end"] = (_ => new TarBuilder().Pax(("path", "x")).End().ToArray(), "followed by the end marker, not by its member"),
        ["pax-too-large"] = (_ => new TarBuilder().Member("PaxHeader", (byte)'x', new byte[(64 << 10) + 1], 0x1A4, 0).End().ToArray(), "an extended header of 65537 bytes is over the 65536 accepted"),
        ["gnu-long-name-absolute"] = (outside => new TarBuilder().LongName(outside + "/" + new string('n', 120)).File("short", "x").End().ToArray(), "is refused: the path is absolute"),
        ["gnu-long-link"] = (_ => new TarBuilder().Member("././@LongLink", (byte)'K', "/etc/shadow\0"u8.ToArray(), 0x1A4, 0).Link("l", (byte)'2', "/etc/sh").End().ToArray(),
            "'l' is refused: it is a symlink"),
    };

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task A_hostile_or_broken_archive_is_refused_by_name_and_nothing_is_written_outside(string name)
    {
        var (archive, refusal) = Cases[name];
        await using var stream = new ChoppyStream(new MemoryStream(archive(Outside)), maxRead: 100);

        var error = await Assert.ThrowsAsync<TarFormatException>(() => TarExtractor.ExtractAsync(stream, Target, new TarExtractOptions()));

        Assert.Contains(refusal, error.Message);
        Assert.Equal([Target], Directory.GetFileSystemEntries(_scratch.Path));
        Assert.False(Path.Exists(Path.Combine(_scratch.Path, "x")));
        Assert.False(Path.Exists(Outside));
    }

    [Fact]
    public async Task A_symlink_member_is_refused_before_a_file_could_be_written_through_it()
    {
        var archive = new TarBuilder().Directory("pg_tblspc/").Link("pg_tblspc/16384", (byte)'2', _scratch.Path).File("pg_tblspc/16384/outside", "escape").End().ToArray();

        await Assert.ThrowsAsync<TarFormatException>(() => TarExtractor.ExtractAsync(new MemoryStream(archive), Target, new TarExtractOptions()));

        Assert.False(Path.Exists(Outside));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(Target, "pg_tblspc")));
    }

    [Fact]
    public async Task What_was_extracted_before_a_refusal_stays_inside_the_target()
    {
        var archive = new TarBuilder().File("PG_VERSION", "15\n").File("../x", "escape").End().ToArray();

        await Assert.ThrowsAsync<TarFormatException>(() => TarExtractor.ExtractAsync(new MemoryStream(archive), Target, new TarExtractOptions()));

        Assert.Equal("15\n", File.ReadAllText(Path.Combine(Target, "PG_VERSION")));
        Assert.Equal([Target], Directory.GetFileSystemEntries(_scratch.Path));
    }
}
