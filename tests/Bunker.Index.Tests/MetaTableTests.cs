namespace Bunker.Index.Tests;

public sealed class MetaTableTests : IDisposable
{
    private readonly TestIndex _t = new();

    public void Dispose() => _t.Dispose();

    [Fact]
    public void RoundTripsAndScansByPrefixInKeyOrder()
    {
        _t.Write(b =>
        {
            b.PutMeta("intent/pack/b"u8, "2"u8);
            b.PutMeta("intent/pack/a"u8, "1"u8);
            b.PutMeta("intent/packs"u8, "x"u8);
            b.PutMeta("intent/other"u8, []);
            b.PutMeta("zz"u8, "z"u8);
        });

        Assert.True(_t.Index.Meta.TryGet("intent/pack/a"u8, out var value));
        Assert.Equal("1"u8.ToArray(), value);
        Assert.False(_t.Index.Meta.TryGet("intent/pack/c"u8, out _));
        var scanned = _t.Index.Meta.ScanPrefix("intent/pack/"u8).ToList();
        Assert.Equal(["intent/pack/a", "intent/pack/b"], scanned.Select(e => System.Text.Encoding.UTF8.GetString(e.Key)));
        Assert.Equal(["1", "2"], scanned.Select(e => System.Text.Encoding.UTF8.GetString(e.Value)));
        Assert.Equal(5, _t.Index.Meta.ScanPrefix([]).Count());
        Assert.True(_t.Index.Meta.TryGet("intent/other"u8, out var empty));
        Assert.Empty(empty);

        _t.Write(b => b.DeleteMeta("intent/pack/a"u8));
        Assert.False(_t.Index.Meta.TryGet("intent/pack/a"u8, out _));
    }

    [Fact]
    public void PrefixOfAllFfBytesScansToTheEnd()
    {
        _t.Write(b =>
        {
            b.PutMeta([0xFF, 0xFF], "a"u8);
            b.PutMeta([0xFF, 0xFF, 0x00], "b"u8);
            b.PutMeta([0xFF, 0xFE], "c"u8);
        });
        Assert.Equal(2, _t.Index.Meta.ScanPrefix([0xFF, 0xFF]).Count());
        Assert.Equal(3, _t.Index.Meta.ScanPrefix([0xFF]).Count());
    }
}
