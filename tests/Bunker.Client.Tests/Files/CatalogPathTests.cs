using System.Text;
using Bunker.Client.Files.Catalog;

namespace Bunker.Client.Tests.Files;

public sealed class CatalogPathTests
{
    private static byte[] B(string text) => Encoding.UTF8.GetBytes(text);

    [Theory]
    [InlineData("a", "a/b")]          // a directory before its children
    [InlineData("a/z", "a.b")]        // a's subtree before its sibling "a.b": '/' ranks lowest
    [InlineData("a/z", "a0")]
    [InlineData("a/b/c", "a/b0")]
    [InlineData("A", "a")]
    public void Catalog_order_puts_a_subtree_right_after_its_directory(string first, string second)
    {
        Assert.True(CatalogPath.Compare(B(first), B(second)) < 0);
        Assert.True(CatalogPath.Compare(B(second), B(first)) > 0);
        Assert.Equal(0, CatalogPath.Compare(B(first), B(first)));
    }

    [Fact]
    public void Bytes_above_0x7f_sort_as_unsigned_bytes()
    {
        Assert.True(CatalogPath.Compare([(byte)'a'], [0xff]) < 0);
        Assert.True(CatalogPath.Compare([0xfe, (byte)'/', (byte)'x'], [0xfe, 0x01]) < 0);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("/etc/passwd", "absolute")]
    [InlineData("a//b", "empty component")]
    [InlineData("a/", "empty component")]
    [InlineData("..", "'..'")]
    [InlineData("a/../../x", "'..'")]
    [InlineData("./a", "'.'")]
    [InlineData("a\0b", "NUL")]
    public void Unsafe_paths_are_refused_with_the_reason(string path, string reason)
    {
        Assert.False(CatalogPath.TryValidate(B(path), out var why));
        Assert.Contains(reason, why);
    }

    [Fact]
    public void Names_that_are_not_UTF8_are_valid_and_displayed_escaped()
    {
        byte[] path = [(byte)'d', (byte)'/', 0xff, 0xfe, (byte)'x'];
        Assert.True(CatalogPath.TryValidate(path, out _));
        Assert.Equal(@"d/\xff\xfex", CatalogPath.Display(path));
        Assert.False(CatalogPath.IsUtf8(path));
        Assert.Equal(@"tab\x09and\\", CatalogPath.Display(B("tab\tand\\")));
        Assert.Equal("héllo", CatalogPath.Display(B("héllo")));
    }

    [Fact]
    public void Within_means_the_path_itself_or_below_it()
    {
        Assert.True(CatalogPath.IsWithin(B("etc/ssh/x"), B("etc/ssh")));
        Assert.True(CatalogPath.IsWithin(B("etc/ssh"), B("etc/ssh")));
        Assert.False(CatalogPath.IsWithin(B("etc/sshd"), B("etc/ssh")));
        Assert.True(CatalogPath.IsWithin(B("anything"), []));
        Assert.Equal(B("etc"), CatalogPath.FromArgument("/etc/"));
        Assert.Equal(B("a/b"), CatalogPath.Join(B("a"), B("b")));
        Assert.Equal(B("b"), CatalogPath.Join([], B("b")));
        Assert.Equal(B("a/b"), CatalogPath.Parent(B("a/b/c")).ToArray());
        Assert.Equal(B("c"), CatalogPath.Name(B("a/b/c")).ToArray());
    }
}
