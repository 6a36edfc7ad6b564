using System.Net;
using System.Net.Sockets;
using Bunker.Tests.Shared;

namespace Bunker.Client.Tests;

/// <summary>Exit codes and messages of runs that need no server: usage errors (2) and an unreachable server (1).</summary>
public sealed class CliUsageTests
{
    private static readonly Dictionary<string, string> WithToken = new() { ["BUNKER_TOKEN"] = "bkr_test" };

    [Fact]
    public async Task HelpExitsZero()
    {
        var run = await InProcessCli.RunAsync("--help");
        Assert.Equal(0, run.Code);
        Assert.Contains("hello", run.Stdout);
        Assert.Contains("admin", run.Stdout);
    }

    [Fact]
    public async Task MissingTokenExitsTwoNamingTheVariable()
    {
        var run = await InProcessCli.RunAsync("hello");
        Assert.Equal(2, run.Code);
        Assert.Contains("BUNKER_TOKEN", run.Stderr);
        Assert.Contains("--token", run.Stderr);
        Assert.Empty(run.Stdout);
    }

    [Theory]
    [InlineData("--role", "superuser")]
    [InlineData("--role", "admin,root")]
    public async Task BadRoleExitsTwo(string option, string value)
    {
        var run = await InProcessCli.RunAsync(WithToken, "admin", "token", "create", option, value, "--server", ClosedPortUrl());
        Assert.Equal(2, run.Code);
        Assert.Contains("unknown role", run.Stderr);
    }

    [Theory]
    [InlineData("30")]
    [InlineData("3 days")]
    [InlineData("0h")]
    public async Task BadDurationExitsTwo(string ttl)
    {
        var run = await InProcessCli.RunAsync(WithToken, "admin", "token", "create", "--role", "backup", "--ttl", ttl, "--server", ClosedPortUrl());
        Assert.Equal(2, run.Code);
        Assert.Contains("duration", run.Stderr);
    }

    [Fact]
    public async Task BadServerUrlExitsTwo()
    {
        var run = await InProcessCli.RunAsync(new Dictionary<string, string> { ["BUNKER_TOKEN"] = "t", ["BUNKER_SERVER"] = "bunker.example:7070" }, "hello");
        Assert.Equal(2, run.Code);
        Assert.Contains("BUNKER_SERVER", run.Stderr);
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("admin")]                          // a group without its command
    [InlineData("admin", "token", "create")]       // --role is required
    [InlineData("admin", "repo", "create")]        // TENANT/REPO is required
    [InlineData("hello", "--no-such-option")]
    public async Task ParseErrorsExitTwo(params string[] args)
    {
        var run = await InProcessCli.RunAsync(WithToken, args);
        Assert.Equal(2, run.Code);
        Assert.StartsWith("bunker: ", run.Stderr);
    }

    [Fact]
    public async Task BadRepositoryPathExitsTwo()
    {
        var run = await InProcessCli.RunAsync(WithToken, "admin", "repo", "create", "a/b/c", "--server", ClosedPortUrl());
        Assert.Equal(2, run.Code);
        Assert.Contains("TENANT/REPO", run.Stderr);
    }

    [Fact]
    public async Task UnreadableCaCertificateExitsTwo()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"bunker-no-such-ca-{Guid.NewGuid():N}.pem");
        var run = await InProcessCli.RunAsync(WithToken, "hello", "--server", "https://127.0.0.1:1", "--ca-cert", missing);
        Assert.Equal(2, run.Code);
        Assert.Contains(missing, run.Stderr);
    }

    [Theory]
    [InlineData("hello")]
    [InlineData("admin", "tenant", "list")]
    [InlineData("admin", "token", "create", "--role", "backup", "--ttl", "30d")]
    public async Task ClosedPortFailsWithExitOneAndOneUnavailableLine(params string[] args)
    {
        var server = ClosedPortUrl();
        var run = await InProcessCli.RunAsync(WithToken, [.. args, "--server", server]);
        Assert.Equal(1, run.Code);
        Assert.Empty(run.Stdout);
        Assert.StartsWith("bunker: UNAVAILABLE: ", run.Stderr);
        Assert.Contains(server, run.Stderr);
        Assert.Single(run.Stderr.TrimEnd().Split('\n'));  // one line, no stack trace
        Assert.DoesNotContain("Exception", run.Stderr);
    }

    /// <summary>A loopback port that nothing listens on: bound, then released.</summary>
    private static string ClosedPortUrl()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndPoint!).Port}";
    }
}
