using Bunker.Client.Connection;

namespace Bunker.Client.Tests;

public sealed class BunkerConnectionTests
{
    private static BunkerConnection Open() =>
        BunkerConnection.Open(new ConnectionSettings(new Uri("http://127.0.0.1:7070"), "bkr_abc", Repository: null, CaCertificateFile: null));

    [Fact]
    public void CallCarriesTheBearerTokenAndTheDefaultDeadline()
    {
        using var connection = Open();
        using var cts = new CancellationTokenSource();
        var before = DateTime.UtcNow;
        var options = connection.Call(cts.Token);
        Assert.Equal("Bearer bkr_abc", options.Headers!.GetValue("authorization"));
        Assert.InRange(options.Deadline!.Value, before + BunkerConnection.DefaultUnaryTimeout, DateTime.UtcNow + BunkerConnection.DefaultUnaryTimeout);
        Assert.Equal(cts.Token, options.CancellationToken);
    }

    [Fact]
    public void CallTakesAnOtherTimeoutOrNone()
    {
        using var connection = Open();
        var before = DateTime.UtcNow;
        Assert.InRange(connection.Call(default, TimeSpan.FromSeconds(5)).Deadline!.Value, before.AddSeconds(5), DateTime.UtcNow.AddSeconds(5));
        Assert.Null(connection.Call(default, Timeout.InfiniteTimeSpan).Deadline);
    }

    [Fact]
    public void CaCertificateIsIgnoredForPlainHttp()
    {
        // BUNKER_CA_CERT may be set for another server; a missing file must not break an http:// one.
        using var connection = BunkerConnection.Open(new ConnectionSettings(new Uri("http://127.0.0.1:7070"), "t", null, "/no/such/ca.pem"));
        Assert.NotNull(connection.Repository);
        Assert.NotNull(connection.Admin);
    }
}
