using System.Text.Json;
using Bunker.Tests.Shared;

namespace Bunker.EndToEnd.Tests;

/// <summary>
/// What an operator does after installing: the bootstrap token file, then tenants, repositories and tokens with
/// the real bunker binary against a real bunkerd, reading exit codes and output as a shell script would.
/// </summary>
public sealed class AdminFlowTests(RunningDaemon server) : IClassFixture<RunningDaemon>
{
    private async Task<ToolRun> AsAdminAsync(params string[] args)
    {
        var run = await BunkerCli.RunAsync(server.AdminEnvironment, args);
        Assert.True(run.Code == 0, $"bunker {string.Join(' ', args)}: {run}\n--- bunkerd ---\n{server.Daemon.Output}");
        return run;
    }

    [Fact]
    public async Task The_bootstrap_token_makes_a_tenant_a_repository_and_a_scoped_token_which_hello_shows_until_it_is_revoked()
    {
        Assert.Equal("created tenant acme", (await AsAdminAsync("admin", "tenant", "create", "acme")).Stdout.Trim());
        Assert.StartsWith("created repository acme/main (id ", (await AsAdminAsync("admin", "repo", "create", "acme/main")).Stdout.Trim());

        // TOKEN=$(bunker admin token create ...): stdout is the token and nothing else.
        var created = await AsAdminAsync("admin", "token", "create", "--tenant", "acme", "--role", "backup", "--role", "restore", "--repo", "main");
        string token = created.Stdout.TrimEnd('\n');
        Assert.Equal(created.Stdout, token + "\n");
        Assert.DoesNotContain(token, server.Daemon.Output);
        Assert.All(token, c => Assert.InRange(c, '!', '~'));
        Assert.Equal("", created.Stderr);

        var hello = await BunkerCli.RunAsync(server.TokenEnvironment(token, repository: "main"), "hello");
        Assert.True(hello.Code == 0, hello.ToString());
        var fields = BunkerCli.Fields(hello.Stdout);
        Assert.Equal("acme", fields["tenant"]);
        Assert.Equal("backup,restore", fields["roles"]);
        Assert.Equal("main", fields["scope"]);
        Assert.Equal("main", fields["repositories"]);
        Assert.StartsWith("main (id ", fields["repository"]);
        Assert.Equal("never", fields["token expires"]);

        var listed = await AsAdminAsync("admin", "token", "list", "--tenant", "acme", "--json");
        using (var json = JsonDocument.Parse(listed.Stdout))
        {
            var entry = Assert.Single(json.RootElement.EnumerateArray());
            Assert.Equal("acme", entry.GetProperty("tenant").GetString());
            Assert.Equal(["backup", "restore"], entry.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
            Assert.Equal("main", entry.GetProperty("repository").GetString());
            Assert.Equal(JsonValueKind.Null, entry.GetProperty("revoked").ValueKind);
            Assert.DoesNotContain(token, listed.Stdout);

            string id = entry.GetProperty("id").GetString()!;
            Assert.Equal($"revoked token {id}", (await AsAdminAsync("admin", "token", "revoke", id)).Stdout.Trim());
        }

        var refused = await BunkerCli.RunAsync(server.TokenEnvironment(token, repository: "main"), "hello");
        Assert.Equal(1, refused.Code);
        Assert.Equal("", refused.Stdout);
        Assert.StartsWith("bunker: UNAUTHENTICATED: the token has been revoked", refused.Stderr);

        using var after = JsonDocument.Parse((await AsAdminAsync("admin", "token", "list", "--tenant", "acme", "--json")).Stdout);
        Assert.Equal(JsonValueKind.String, Assert.Single(after.RootElement.EnumerateArray()).GetProperty("revoked").ValueKind);
    }

    [Fact]
    public async Task A_backup_token_may_not_create_a_tenant()
    {
        await AsAdminAsync("admin", "tenant", "create", "backupco");
        await AsAdminAsync("admin", "repo", "create", "backupco/main");
        string token = (await AsAdminAsync("admin", "token", "create", "--tenant", "backupco", "--role", "backup")).Stdout.Trim();

        var run = await BunkerCli.RunAsync(server.TokenEnvironment(token), "admin", "tenant", "create", "x");
        Assert.Equal(1, run.Code);
        Assert.StartsWith("bunker: PERMISSION_DENIED: creating a tenant needs the admin role", run.Stderr);

        var tenants = await AsAdminAsync("admin", "tenant", "list");
        Assert.DoesNotContain(tenants.Stdout.Split('\n'), line => line.StartsWith("x\t", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Creating_what_exists_again_fails_with_ALREADY_EXISTS()
    {
        await AsAdminAsync("admin", "tenant", "create", "twice");
        var run = await BunkerCli.RunAsync(server.AdminEnvironment, "admin", "tenant", "create", "twice");
        Assert.Equal(1, run.Code);
        Assert.StartsWith("bunker: ALREADY_EXISTS: ", run.Stderr);
    }

    [Fact]
    public async Task Without_a_token_bunker_exits_2_and_says_how_to_give_one()
    {
        var run = await BunkerCli.RunAsync(new Dictionary<string, string> { ["BUNKER_SERVER"] = server.Daemon.Address.ToString() }, "hello");
        Assert.Equal(2, run.Code);
        Assert.StartsWith("bunker: no token: ", run.Stderr);
        Assert.Contains("BUNKER_TOKEN_FILE", run.Stderr);
    }

    [Fact]
    public async Task A_port_nobody_listens_on_exits_1_with_UNAVAILABLE()
    {
        string closed = $"http://127.0.0.1:{DaemonProcess.FreePort()}";
        var run = await BunkerCli.RunAsync(new Dictionary<string, string> { ["BUNKER_TOKEN_FILE"] = server.AdminTokenFile }, "hello", "--server", closed);
        Assert.Equal(1, run.Code);
        Assert.StartsWith("bunker: UNAVAILABLE: ", run.Stderr);
        Assert.Contains($"is bunkerd running at {closed}?", run.Stderr);
    }

    [Fact]
    public async Task Https_to_an_h2c_bunkerd_fails_and_says_it_may_not_serve_TLS()
    {
        string https = $"https://127.0.0.1:{server.Daemon.Port}";
        var run = await BunkerCli.RunAsync(server.AdminEnvironment, "hello", "--server", https);
        Assert.Equal(1, run.Code);
        Assert.StartsWith($"bunker: UNAVAILABLE: TLS handshake with {https} failed: ", run.Stderr);
        Assert.Contains("does bunkerd serve TLS there?", run.Stderr);
    }
}
