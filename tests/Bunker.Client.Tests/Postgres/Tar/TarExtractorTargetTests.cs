using System.Runtime.Versioning;
using Bunker.Client.Postgres.Tar;
using Bunker.Tests.Shared;

namespace Bunker.Client.Tests.Postgres.Tar;

/// <summary>Where an extraction may go: a new or empty directory, named directly; anything else is refused before the stream is read.</summary>
[SupportedOSPlatform("linux")]
public sealed class TarExtractorTargetTests : IDisposable
{
    private readonly ScratchDirectory _scratch = FileTrees.Scratch("bunker-tar-target");

    public void Dispose() => _scratch.Dispose();

    private static byte[] Archive => new TarBuilder().File("PG_VERSION", "15\n").End().ToArray();

    [Fact]
    public async Task A_non_empty_target_is_refused_before_anything_is_read()
    {
        string target = _scratch.Combine("data");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "postmaster.pid"), "running");
        await using var stream = new ChoppyStream(new MemoryStream(Archive));

        var error = await Assert.ThrowsAsync<IOException>(() => TarExtractor.ExtractAsync(stream, target, new TarExtractOptions()));

        Assert.Contains($"'{target}' is not empty", error.Message);
        Assert.Equal(0, stream.Reads);
        Assert.Equal([Path.Combine(target, "postmaster.pid")], Directory.GetFileSystemEntries(target));
        Assert.Equal("running", File.ReadAllText(Path.Combine(target, "postmaster.pid")));
    }

    [Fact]
    public async Task A_target_that_is_a_symlink_is_refused_and_where_it_points_is_left_alone()
    {
        string elsewhere = Directory.CreateDirectory(_scratch.Combine("elsewhere")).FullName;
        string target = _scratch.Combine("data");
        File.CreateSymbolicLink(target, elsewhere);
        await using var stream = new ChoppyStream(new MemoryStream(Archive));

        var error = await Assert.ThrowsAsync<IOException>(() => TarExtractor.ExtractAsync(stream, target + "/", new TarExtractOptions()));

        Assert.Contains("is a symlink", error.Message);
        Assert.Equal(0, stream.Reads);
        Assert.Empty(Directory.GetFileSystemEntries(elsewhere));
    }

    [Fact]
    public async Task A_target_that_is_a_file_is_refused()
    {
        string target = _scratch.Combine("data");
        File.WriteAllText(target, "a file");

        var error = await Assert.ThrowsAsync<IOException>(() => TarExtractor.ExtractAsync(new MemoryStream(Archive), target, new TarExtractOptions()));

        Assert.Contains("is not a directory", error.Message);
        Assert.Equal("a file", File.ReadAllText(target));
    }

    [Fact]
    public async Task A_missing_target_is_made_with_its_parents_and_the_target_mode()
    {
        string target = _scratch.Combine("restores", "today", "data");

        var result = await TarExtractor.ExtractAsync(new MemoryStream(Archive), target, new TarExtractOptions { TargetMode = 0x1E8 /* 0750 */ });

        Assert.Equal(new TarExtractResult(1, 0, 3), result);
        Assert.Equal("15\n", File.ReadAllText(Path.Combine(target, "PG_VERSION")));
        Assert.Equal((UnixFileMode)0x1E8, File.GetUnixFileMode(target));
    }

    [Fact]
    public async Task An_empty_target_is_used_and_given_the_target_mode()
    {
        string target = Directory.CreateDirectory(_scratch.Combine("data"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute).FullName;

        await TarExtractor.ExtractAsync(new MemoryStream(Archive), target, new TarExtractOptions());

        Assert.Equal("15\n", File.ReadAllText(Path.Combine(target, "PG_VERSION")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(target));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(0x200)] // 01000: sticky is not for a data directory
    public async Task A_target_mode_that_is_not_permission_bits_is_refused(int mode)
    {
        string target = _scratch.Combine("data");

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => TarExtractor.ExtractAsync(new MemoryStream(Archive), target, new TarExtractOptions { TargetMode = mode }));

        Assert.False(Path.Exists(target));
    }
}
