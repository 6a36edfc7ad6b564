using System.Text.Json;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;
using Bunker.Tests.Shared;

namespace Bunker.Client.Tests;

/// <summary>The commands against a stand-in server: what they send, what they print, and how server errors show.</summary>
public sealed class CliServerTests : IAsyncLifetime
{
    private StandInServer _server = null!;

    public async Task InitializeAsync() => _server = await StandInServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<CliRun> RunAsync(params string[] args) => InProcessCli.RunAsync(Variables(), args);

    private Dictionary<string, string> Variables(string? repository = null)
    {
        var environment = new Dictionary<string, string> { ["BUNKER_SERVER"] = _server.Address.ToString(), ["BUNKER_TOKEN"] = "bkr_test" };
        if (repository is not null) environment["BUNKER_REPOSITORY"] = repository;
        return environment;
    }

    [Fact]
    public async Task HelloSendsTheBearerTokenAndADeadlineAndPrintsWhoWeAre()
    {
        var before = DateTime.UtcNow;
        var run = await RunAsync("hello", "--repo", "photos");

        Assert.Equal(0, run.Code);
        Assert.Equal("Bearer bkr_test", _server.Services.LastAuthorization);
        var deadline = _server.Services.LastDeadline;
        Assert.InRange(deadline, before.AddSeconds(50), DateTime.UtcNow.AddSeconds(61));
        var request = Assert.IsType<HelloRequest>(_server.Services.LastRequest);
        Assert.Equal("photos", request.Repository);
        Assert.StartsWith("bunker/", request.ClientVersion);
        Assert.Contains("bunkerd/test", run.Stdout);
        Assert.Contains("acme", run.Stdout);
        Assert.Contains("admin,backup", run.Stdout);
        Assert.Contains("photos, mail", run.Stdout);
        Assert.Contains("2030-01-02T03:04:05Z", run.Stdout);
    }

    [Fact]
    public async Task HelloTakesTheRepositoryFromTheEnvironment()
    {
        var run = await InProcessCli.RunAsync(Variables(repository: "mail"), "hello");
        Assert.Equal(0, run.Code);
        Assert.Equal("mail", Assert.IsType<HelloRequest>(_server.Services.LastRequest).Repository);
    }

    [Fact]
    public async Task HelloJsonIsOneDocumentWithRoleNames()
    {
        var run = await RunAsync("hello", "--json");
        Assert.Equal(0, run.Code);
        using var json = JsonDocument.Parse(run.Stdout);
        var root = json.RootElement;
        Assert.Equal("acme", root.GetProperty("tenant").GetString());
        Assert.Equal(["admin", "backup"], root.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(JsonValueKind.Null, root.GetProperty("repositoryScope").ValueKind);
        Assert.Equal("2030-01-02T03:04:05Z", root.GetProperty("tokenExpires").GetString());
    }

    [Fact]
    public async Task TokenCreatePrintsOnlyTheTokenAndSendsWhatWasAsked()
    {
        var run = await RunAsync("admin", "token", "create", "--tenant", "acme", "--role", "BACKUP", "--role", "restore",
            "--repo", "photos", "--ttl", "30d", "--description", "nightly");

        Assert.Equal(0, run.Code);
        Assert.Equal("bkr_0123abcd_secret" + Environment.NewLine, run.Stdout);
        Assert.Empty(run.Stderr);
        var request = Assert.IsType<CreateTokenRequest>(_server.Services.LastRequest);
        Assert.Equal("acme", request.Tenant);
        Assert.Equal([Role.Backup, Role.Restore], request.Roles);
        Assert.Equal("photos", request.Repository);
        Assert.Equal(30 * 86400, request.TtlSeconds);
        Assert.Equal("nightly", request.Description);
    }

    [Fact]
    public async Task TokenCreateWithoutTtlOrRepoAsksForNoExpiryAndTheWholeTenant()
    {
        // BUNKER_REPOSITORY is the working repository of other commands; it must not narrow a new token.
        var run = await InProcessCli.RunAsync(Variables(repository: "mail"), "admin", "token", "create", "--role", "admin");
        Assert.Equal(0, run.Code);
        var request = Assert.IsType<CreateTokenRequest>(_server.Services.LastRequest);
        Assert.Equal(0, request.TtlSeconds);
        Assert.Equal("", request.Repository);
        Assert.Equal("", request.Tenant);
    }

    [Fact]
    public async Task TokenCreateJsonCarriesTheTokenAndItsInfo()
    {
        var run = await RunAsync("admin", "token", "create", "--role", "backup", "--json");
        Assert.Equal(0, run.Code);
        using var json = JsonDocument.Parse(run.Stdout);
        var root = json.RootElement;
        Assert.Equal("bkr_0123abcd_secret", root.GetProperty("token").GetString());
        Assert.Equal("0123abcd", root.GetProperty("id").GetString());
        Assert.Equal("acme", root.GetProperty("tenant").GetString());
        Assert.Equal("backup", root.GetProperty("roles")[0].GetString());
        Assert.Equal("photos", root.GetProperty("repository").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("expires").ValueKind);
    }

    [Fact]
    public async Task TokenListIsTabSeparatedWhenNotATerminal()
    {
        var run = await RunAsync("admin", "token", "list", "--tenant", "acme");
        Assert.Equal(0, run.Code);
        Assert.Equal("acme", Assert.IsType<ListTokensRequest>(_server.Services.LastRequest).Tenant);
        var line = Assert.Single(run.Stdout.TrimEnd().Split(Environment.NewLine));
        Assert.Equal(["0123abcd", "acme", "backup", "photos", "2023-11-14T22:13:20Z", "never", "-", "nightly job"], line.Split('\t'));
    }

    [Fact]
    public async Task TokenRevokeSendsTheId()
    {
        var run = await RunAsync("admin", "token", "revoke", "0123abcd");
        Assert.Equal(0, run.Code);
        Assert.Equal("0123abcd", Assert.IsType<RevokeTokenRequest>(_server.Services.LastRequest).Id);
        Assert.Contains("revoked token 0123abcd", run.Stdout);
    }

    [Theory]
    [InlineData("acme/photos", "acme", "photos")]
    [InlineData("photos", "", "photos")]
    public async Task RepoCreateSplitsTenantAndName(string path, string tenant, string name)
    {
        var run = await RunAsync("admin", "repo", "create", path);
        Assert.Equal(0, run.Code);
        var request = Assert.IsType<CreateRepositoryRequest>(_server.Services.LastRequest);
        Assert.Equal((tenant, name), (request.Tenant, request.Name));
        Assert.Contains($"/{name} (id abab", run.Stdout);
    }

    [Fact]
    public async Task RepoListAndTenantCommandsWork()
    {
        var repos = await RunAsync("admin", "repo", "list", "--tenant", "acme");
        Assert.Equal(0, repos.Code);
        Assert.Equal("acme", Assert.IsType<ListRepositoriesRequest>(_server.Services.LastRequest).Tenant);
        Assert.StartsWith("acme\tphotos\t" + new string('0', 32) + "\t-", repos.Stdout);

        var tenants = await RunAsync("admin", "tenant", "list");
        Assert.Equal($"system\t-{Environment.NewLine}acme\t2023-11-14T22:13:20Z{Environment.NewLine}", tenants.Stdout);

        var created = await RunAsync("admin", "tenant", "create", "globex", "--json");
        Assert.Equal(0, created.Code);
        using var json = JsonDocument.Parse(created.Stdout);
        Assert.Equal("globex", json.RootElement.GetProperty("name").GetString());
    }

    [Theory]
    [InlineData(StatusCode.NotFound, "NOT_FOUND")]
    [InlineData(StatusCode.PermissionDenied, "PERMISSION_DENIED")]
    [InlineData(StatusCode.AlreadyExists, "ALREADY_EXISTS")]
    public async Task ServerErrorsExitOneWithTheStatusName(StatusCode code, string name)
    {
        _server.Services.FailWith = new Status(code, "no such thing");
        var run = await RunAsync("admin", "repo", "create", "acme/photos");
        Assert.Equal(1, run.Code);
        Assert.Empty(run.Stdout);
        Assert.Equal($"bunker: {name}: no such thing", run.Stderr.TrimEnd());
    }

    [Fact]
    public async Task UnauthenticatedPointsAtTheToken()
    {
        _server.Services.FailWith = new Status(StatusCode.Unauthenticated, "unknown token");
        var run = await RunAsync("hello");
        Assert.Equal(1, run.Code);
        Assert.StartsWith("bunker: UNAUTHENTICATED: unknown token; check the token", run.Stderr);
        Assert.Contains("BUNKER_TOKEN", run.Stderr);
    }
}
