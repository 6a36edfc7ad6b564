using Bunker.Protocol.Grpc;

namespace Bunker.Protocol.Tests;

public sealed class WireTests
{
    [Theory]
    [InlineData("1H", 36_000_000_000L)]
    [InlineData("2M", 1_200_000_000L)]
    [InlineData("3S", 30_000_000L)]
    [InlineData("250m", 2_500_000L)]
    [InlineData("7u", 70L)]
    [InlineData("500n", 5L)]
    [InlineData("99999999S", 999_999_990_000_000L)]
    public void Timeout_parses_every_unit(string value, long ticks)
    {
        Assert.True(GrpcWire.TryParseTimeout(value, out var timeout));
        Assert.Equal(ticks, timeout.Ticks);
    }

    [Theory]
    [InlineData("")]
    [InlineData("S")]
    [InlineData("100")]
    [InlineData("123456789S")]
    [InlineData("-1S")]
    [InlineData("1s")]
    [InlineData("1.5S")]
    public void Timeout_rejects_malformed_values(string value) => Assert.False(GrpcWire.TryParseTimeout(value, out _));

    [Fact]
    public void Timeout_formats_within_eight_digits_and_never_shorter()
    {
        foreach (var span in new[] { TimeSpan.FromTicks(1), TimeSpan.FromMilliseconds(1500), TimeSpan.FromDays(400), TimeSpan.FromHours(99_999_999) })
        {
            var text = GrpcWire.FormatTimeout(span);
            Assert.InRange(text.Length, 2, 9);
            Assert.True(GrpcWire.TryParseTimeout(text, out var back));
            Assert.True(back >= span, $"{text} < {span}");
        }
    }

    [Fact]
    public void Status_message_percent_encoding_round_trips()
    {
        const string message = "50% off\r\n ✓ done";
        var encoded = GrpcWire.PercentEncode(message);
        Assert.All(encoded, c => Assert.InRange(c, (char)0x20, (char)0x7E));
        Assert.Contains("%25", encoded);
        Assert.Equal(message, GrpcWire.PercentDecode(encoded));
        Assert.Equal("bad %zz escape %4", GrpcWire.PercentDecode("bad %zz escape %4"));
    }

    [Fact]
    public void Binary_metadata_accepts_padded_and_unpadded_base64()
    {
        Assert.Equal(new byte[] { 1, 2 }, GrpcWire.ToEntry("a-bin", "AQI")!.ValueBytes);
        Assert.Equal(new byte[] { 1, 2 }, GrpcWire.ToEntry("a-bin", "AQI=")!.ValueBytes);
        Assert.Equal("AQI", GrpcWire.ToWireValue(new Metadata.Entry("a-bin", new byte[] { 1, 2 })));
        Assert.Throws<ArgumentException>(() => new Metadata.Entry("a-bin", "text"));
        Assert.Throws<ArgumentException>(() => new Metadata.Entry("a", "caf\u00e9"));
    }
}
