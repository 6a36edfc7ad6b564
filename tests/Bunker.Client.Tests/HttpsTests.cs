using Bunker.Tests.Shared;

namespace Bunker.Client.Tests;

/// <summary>https to a server whose certificate a private CA signed: trusted with --ca-cert, refused without it or for another name.</summary>
public sealed class HttpsTests : IAsyncLifetime, IDisposable
{
    private readonly TestCertificates _certificates = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("bunker-client-https-").FullName;
    private StandInServer _server = null!;

    public async Task InitializeAsync() => _server = await StandInServer.StartAsync(_certificates.Server);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose()
    {
        _certificates.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private static Dictionary<string, string> Environment(string server) => new() { ["BUNKER_SERVER"] = server, ["BUNKER_TOKEN"] = "bkr_test" };

    [Fact]
    public async Task CaCertificateFlagMakesTheServerTrusted()
    {
        Assert.Equal("https", _server.Address.Scheme);
        var run = await InProcessCli.RunAsync(Environment(_server.Address.ToString()), "hello", "--ca-cert", _certificates.WriteCaPem(_directory));
        Assert.Equal("", run.Stderr);
        Assert.Equal(0, run.Code);
        Assert.Equal("Bearer bkr_test", _server.Services.LastAuthorization);
    }

    [Fact]
    public async Task CaCertificateVariableWorksToo()
    {
        var environment = Environment(_server.Address.ToString());
        environment["BUNKER_CA_CERT"] = _certificates.WriteCaPem(_directory);
        var run = await InProcessCli.RunAsync(environment, "hello");
        Assert.Equal(0, run.Code);
    }

    [Fact]
    public async Task WithoutTheCaTheServerIsRefused()
    {
        var run = await InProcessCli.RunAsync(Environment(_server.Address.ToString()), "hello");
        Assert.Equal(1, run.Code);
        Assert.StartsWith("bunker: UNAVAILABLE: TLS handshake with ", run.Stderr);
        Assert.Contains("not trusted by this machine", run.Stderr);
        Assert.Contains("--ca-cert", run.Stderr);
        Assert.Null(_server.Services.LastAuthorization);
    }

    [Fact]
    public async Task TheCaDoesNotExcuseAWrongHostName()
    {
        // The certificate names 127.0.0.1 only; "localhost" reaches the same socket but is not that name.
        var byName = new UriBuilder(_server.Address) { Host = "localhost" }.Uri.ToString();
        var run = await InProcessCli.RunAsync(Environment(byName), "hello", "--ca-cert", _certificates.WriteCaPem(_directory));
        Assert.Equal(1, run.Code);
        // Refused in the handshake, not for want of a listener.
        Assert.StartsWith("bunker: UNAVAILABLE: TLS handshake with https://localhost:", run.Stderr);
        Assert.Contains("name the host of the URL", run.Stderr);
        Assert.Null(_server.Services.LastAuthorization);
    }
}
