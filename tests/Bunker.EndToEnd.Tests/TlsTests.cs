using Bunker.Tests.Shared;

namespace Bunker.EndToEnd.Tests;

/// <summary>
/// A private CA and a server certificate for 127.0.0.1 and localhost, written as PEM files as an operator would have
/// them, and a bunkerd serving TLS with them (--tls-cert, --tls-key).
/// </summary>
public sealed class TlsServer : IAsyncLifetime
{
    private readonly TestCertificates _certificates = new("localhost");

    public TlsServer()
    {
        (Cert, Key) = _certificates.WriteServerPem(Root);
        CaPem = _certificates.WriteCaPem(Root);
    }

    public string Root { get; } = Directory.CreateTempSubdirectory("bunker-e2e-tls-").FullName;
    public string Cert { get; }
    public string Key { get; }
    public string CaPem { get; }
    public DaemonProcess Daemon { get; private set; } = null!;

    public async Task InitializeAsync() => Daemon = await DaemonProcess.StartTlsAsync(Path.Combine(Root, "data"), Cert, Key);

    public async Task DisposeAsync()
    {
        await Daemon.DisposeAsync();
        _certificates.Dispose();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}

/// <summary>bunkerd serving TLS from a PEM certificate and key, and the bunker client trusting it through --ca-cert.</summary>
public sealed class TlsTests(TlsServer tls) : IClassFixture<TlsServer>
{
    private DaemonProcess Daemon => tls.Daemon;

    private static Dictionary<string, string> Admin(DaemonProcess daemon) => new() { ["BUNKER_TOKEN_FILE"] = Path.Combine(daemon.Data, "admin.token") };

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    public async Task With_the_CA_file_hello_over_https_succeeds(string host)
    {
        Assert.Equal("https", Daemon.Address.Scheme);
        string server = $"https://{host}:{Daemon.Port}";
        var run = await BunkerCli.RunAsync(Admin(Daemon), "hello", "--server", server, "--ca-cert", tls.CaPem);
        Assert.True(run.Code == 0, run + "\n--- bunkerd ---\n" + Daemon.Output);
        Assert.Equal(server, BunkerCli.Fields(run.Stdout)["server"]);
        Assert.Equal("system", BunkerCli.Fields(run.Stdout)["tenant"]);
    }

    [Fact]
    public async Task The_CA_file_may_come_from_BUNKER_CA_CERT()
    {
        var env = Admin(Daemon);
        env["BUNKER_SERVER"] = Daemon.Address.ToString();
        env["BUNKER_CA_CERT"] = tls.CaPem;
        var run = await BunkerCli.RunAsync(env, "hello");
        Assert.True(run.Code == 0, run.ToString());
    }

    [Fact]
    public async Task Without_the_CA_file_the_certificate_is_refused_with_a_clear_message()
    {
        var run = await BunkerCli.RunAsync(Admin(Daemon), "hello", "--server", Daemon.Address.ToString());
        Assert.Equal(1, run.Code);
        Assert.StartsWith($"bunker: UNAVAILABLE: TLS handshake with {Daemon.Address.GetLeftPart(UriPartial.Authority)} failed: ", run.Stderr);
        Assert.Contains("certificate", run.Stderr);
        Assert.Contains("not trusted by this machine", run.Stderr);
        Assert.Contains("--ca-cert or BUNKER_CA_CERT", run.Stderr);
        Assert.DoesNotContain("inner exception", run.Stderr);
        Assert.DoesNotContain("   at ", run.Stderr);
    }

    [Fact]
    public async Task A_CA_that_did_not_sign_the_server_certificate_is_refused()
    {
        using var other = new TestCertificates("localhost");
        string ca = other.WriteCaPem(Directory.CreateDirectory(Path.Combine(tls.Root, "other-ca")).FullName);
        var run = await BunkerCli.RunAsync(Admin(Daemon), "hello", "--server", Daemon.Address.ToString(), "--ca-cert", ca);
        Assert.Equal(1, run.Code);
        Assert.StartsWith("bunker: UNAVAILABLE: TLS handshake with ", run.Stderr);
        Assert.Contains($"must chain to the CA in '{ca}'", run.Stderr);
    }

    [Fact]
    public async Task An_h2c_client_against_the_TLS_port_fails()
    {
        var run = await BunkerCli.RunAsync(Admin(Daemon), "hello", "--server", $"http://127.0.0.1:{Daemon.Port}");
        Assert.Equal(1, run.Code);
        Assert.StartsWith("bunker: UNAVAILABLE: ", run.Stderr);
        Assert.True(run.Stderr.Contains("if bunkerd serves TLS there, use https://", StringComparison.Ordinal), run.ToString());
        Assert.DoesNotContain("   at ", run.Stderr);
        Assert.Equal("", run.Stdout);
    }

    [Theory]
    [InlineData("file")]
    [InlineData("environment")]
    public async Task TLS_configured_in_a_file_or_the_environment_serves_https_as_the_flags_do(string source)
    {
        string data = Path.Combine(tls.Root, "data-" + source);
        int port = DaemonProcess.FreePort();
        var env = new Dictionary<string, string>();
        var args = new List<string>();
        if (source == "file")
        {
            string config = Path.Combine(tls.Root, "bunkerd.json");
            File.WriteAllText(config, $$"""
                {
                  "Listen": "127.0.0.1:{{port}}",
                  "Tls": { "Cert": "{{tls.Cert}}", "Key": "{{tls.Key}}" }
                }
                """);
            args.AddRange(["--config", config]);
        }
        else
        {
            env["BUNKER_LISTEN"] = $"127.0.0.1:{port}";
            env["BUNKER_TLS__CERT"] = tls.Cert;
            env["BUNKER_TLS__KEY"] = tls.Key;
        }
        await using var daemon = await DaemonProcess.StartOnAsync(data, port, tls: true, env, [.. args]);
        Assert.Equal($"https://127.0.0.1:{port}/", daemon.Address.ToString());

        var secure = await BunkerCli.RunAsync(Admin(daemon), "hello", "--server", daemon.Address.ToString(), "--ca-cert", tls.CaPem);
        Assert.True(secure.Code == 0, secure + "\n--- bunkerd ---\n" + daemon.Output);
        var plain = await BunkerCli.RunAsync(Admin(daemon), "hello", "--server", $"http://127.0.0.1:{port}");
        Assert.Equal(1, plain.Code);
    }
}
