using System.Text;
using Bunker.Client.Files.Backup;

namespace Bunker.Client.Tests.Files.Backup;

/// <summary>The --exclude globs, matched on raw path bytes.</summary>
public sealed class ExcludePatternTests
{
    private static bool Matches(string pattern, string absolutePath) => Matches(pattern, Encoding.UTF8.GetBytes(absolutePath));

    private static bool Matches(string pattern, byte[] absolutePath)
    {
        var name = absolutePath.AsSpan(absolutePath.AsSpan().LastIndexOf((byte)'/') + 1);
        return new ExcludePattern(pattern).Matches(absolutePath, name);
    }

    [Theory]
    [InlineData("*.o", "/src/main.o", true)]
    [InlineData("*.o", "/src/main.c", false)]
    [InlineData("*.o", "/a/b/c/deep.o", true)]
    [InlineData("cache", "/home/u/cache", true)]
    [InlineData("cache", "/home/u/cache2", false)]
    [InlineData("?.tmp", "/x/a.tmp", true)]
    [InlineData("?.tmp", "/x/ab.tmp", false)]
    [InlineData("[abc]*", "/x/bee", true)]
    [InlineData("[!abc]*", "/x/bee", false)]
    [InlineData("[^abc]*", "/x/dee", true)]
    [InlineData("file[0-9]", "/x/file7", true)]
    [InlineData("file[0-9]", "/x/filex", false)]
    [InlineData("[]]x", "/x/]x", true)]
    [InlineData("a\\*b", "/x/a*b", true)]
    [InlineData("a\\*b", "/x/aXb", false)]
    [InlineData("*", "/anything/at/all", true)]
    public void A_pattern_without_a_slash_matches_the_base_name(string pattern, string path, bool expected) =>
        Assert.Equal(expected, Matches(pattern, path));

    [Theory]
    [InlineData("/home/*/cache", "/home/u/cache", true)]
    [InlineData("/home/*/cache", "/home/u/v/cache", false)]
    [InlineData("/home/*/cache", "/srv/home/u/cache", false)] // anchored at the root
    [InlineData("/home/**/cache", "/home/cache", true)]
    [InlineData("/home/**/cache", "/home/a/b/c/cache", true)]
    [InlineData("/home/**", "/home/a/b", true)]
    [InlineData("/var/log/", "/var/log", true)] // a trailing slash names the directory
    [InlineData("build/*.o", "/src/proj/build/x.o", true)] // not anchored: at any depth
    [InlineData("build/*.o", "/src/proj/build/sub/x.o", false)]
    [InlineData("**/node_modules", "/a/b/node_modules", true)]
    public void A_pattern_with_a_slash_matches_the_absolute_path(string pattern, string path, bool expected) =>
        Assert.Equal(expected, Matches(pattern, path));

    [Fact]
    public void Names_that_are_not_UTF8_match_byte_by_byte()
    {
        byte[] path = [.. "/data/"u8, 0xff, 0xfe, .. ".bak"u8];
        Assert.True(Matches("*.bak", path));
        Assert.True(Matches("??.bak", path)); // one byte per '?'
        Assert.False(Matches("?.bak", path));
        Assert.True(Matches("/data/*", path));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("abc[def")]
    [InlineData("/x/[a")]
    public void A_malformed_pattern_is_refused_with_its_text(string pattern)
    {
        var error = Assert.Throws<ArgumentException>(() => new ExcludePattern(pattern));
        Assert.Contains($"'{pattern}'", error.Message);
    }

    [Fact]
    public void An_exclude_file_gives_one_pattern_per_line_and_skips_comments_and_blanks()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(file, ["# build output", "*.o", "", "   /srv/cache  ", "#*.c"]);
            var filter = ExcludeFilter.Create(["*.tmp"], [file]);
            Assert.True(filter.IsExcluded("/a/x.o"u8, "x.o"u8));
            Assert.True(filter.IsExcluded("/srv/cache"u8, "cache"u8));
            Assert.True(filter.IsExcluded("/a/y.tmp"u8, "y.tmp"u8));
            Assert.False(filter.IsExcluded("/a/x.c"u8, "x.c"u8));
            Assert.False(filter.IsExcluded("/a/# build output"u8, "# build output"u8));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_missing_exclude_file_or_a_bad_line_is_named()
    {
        var missing = Assert.Throws<ArgumentException>(() => ExcludeFilter.Create([], ["/no/such/exclude-file"]));
        Assert.Contains("/no/such/exclude-file", missing.Message);

        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(file, ["*.o", "bad[", "*.c"]);
            var bad = Assert.Throws<ArgumentException>(() => ExcludeFilter.Create([], [file]));
            Assert.Contains("line 2", bad.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
