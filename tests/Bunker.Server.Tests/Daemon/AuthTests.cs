using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;
using Grpc.Health.V1;

namespace Bunker.Server.Tests.Daemon;

/// <summary>Tokens: presence, shape, expiry, revocation, and what each role may do.</summary>
public sealed class AuthTests : IAsyncLifetime
{
    private DaemonFixture _d = null!;

    public async Task InitializeAsync() => _d = await DaemonFixture.StartAsync();
    public async Task DisposeAsync() => await _d.DisposeAsync();

    private static async Task<RpcException> Refused(Task call) => await Assert.ThrowsAsync<RpcException>(() => call);

    [Fact]
    public async Task Bootstrap_token_is_written_0600_and_is_a_server_admin()
    {
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_d.Data, "admin.token")));
        Assert.StartsWith("bkr_", _d.AdminToken);
        var hello = await _d.Repository().HelloAsync(new HelloRequest(), DaemonFixture.As(_d.AdminToken));
        Assert.Equal("system", hello.Tenant);
        Assert.Equal([Role.Admin], hello.Roles);
        Assert.Equal(1u, hello.ProtocolVersion);
    }

    [Fact]
    public async Task A_restart_keeps_the_bootstrap_token_and_makes_no_new_one()
    {
        string first = _d.AdminToken;
        await _d.StopAsync();
        await _d.StartAgainAsync();
        Assert.Equal(first, _d.AdminToken);
        var tokens = await _d.Admin().ListTokensAsync(new ListTokensRequest(), DaemonFixture.As(first));
        Assert.Single(tokens.Tokens);
    }

    [Theory]
    [InlineData(null, "missing")]
    [InlineData("Basic abc", "Bearer")]
    [InlineData("Bearer not-a-token", "not valid")]
    [InlineData("Bearer bkr_00000000000000000000000000000000aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "not valid")]
    public async Task Calls_without_a_valid_token_are_unauthenticated(string? header, string message)
    {
        var headers = new Metadata();
        if (header is not null) headers.Add("authorization", header);
        var e = await Refused(_d.Repository().HelloAsync(new HelloRequest(), new CallOptions(headers, DateTime.UtcNow.AddSeconds(30))).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        Assert.Contains(message, e.Status.Detail);
    }

    [Fact]
    public async Task A_token_with_the_right_id_but_a_wrong_secret_is_refused()
    {
        string forged = _d.AdminToken[..^4] + (_d.AdminToken.EndsWith("0000") ? "1111" : "0000");
        var e = await Refused(_d.Repository().HelloAsync(new HelloRequest(), DaemonFixture.As(forged)).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
    }

    [Fact]
    public async Task Health_needs_no_token()
    {
        var client = new HealthClient(_d.Channel());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await client.CheckAsync("")).Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await client.CheckAsync(Repository.ServiceName)).Status);
    }

    [Fact]
    public async Task Revoked_token_is_refused_on_its_next_call()
    {
        string token = await _d.TenantWithRepositoryAsync("acme", "main", Role.Backup);
        await _d.Repository().HelloAsync(new HelloRequest(), DaemonFixture.As(token));
        var id = (await _d.Admin().ListTokensAsync(new ListTokensRequest { Tenant = "acme" }, DaemonFixture.As(_d.AdminToken))).Tokens.Single().Id;
        var revoked = await _d.Admin().RevokeTokenAsync(new RevokeTokenRequest { Id = id }, DaemonFixture.As(_d.AdminToken));
        Assert.NotEqual(0, revoked.RevokedUnix);
        var e = await Refused(_d.Repository().HelloAsync(new HelloRequest(), DaemonFixture.As(token)).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        Assert.Contains("revoked", e.Status.Detail);
    }

    [Fact]
    public async Task Expired_token_is_refused()
    {
        await _d.TenantWithRepositoryAsync("acme", "main", Role.Backup);
        var request = new CreateTokenRequest { Tenant = "acme", TtlSeconds = 1, Roles = { Role.Restore } };
        var created = await _d.Admin().CreateTokenAsync(request, DaemonFixture.As(_d.AdminToken));
        Assert.NotEqual(0, created.Info.ExpiresUnix);
        await Task.Delay(TimeSpan.FromMilliseconds(2100));
        var e = await Refused(_d.Repository().HelloAsync(new HelloRequest(), DaemonFixture.As(created.Token)).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        Assert.Contains("expired", e.Status.Detail);
    }

    [Fact]
    public async Task A_backup_token_can_neither_administer_nor_delete()
    {
        string token = await _d.TenantWithRepositoryAsync("acme", "main", Role.Backup);
        var admin = await Refused(_d.Admin().CreateTokenAsync(new CreateTokenRequest { Roles = { Role.Admin } }, DaemonFixture.As(token)).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, admin.StatusCode);
        var repo = await Refused(_d.Admin().CreateRepositoryAsync(new CreateRepositoryRequest { Name = "other" }, DaemonFixture.As(token)).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, repo.StatusCode);
        var delete = await Refused(_d.Repository().DeleteSnapshotAsync(
            new DeleteSnapshotRequest { Repository = "main", SnapshotId = Google.Protobuf.ByteString.CopyFrom(new byte[32]) }, DaemonFixture.As(token)).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, delete.StatusCode);
        Assert.Contains("operator", delete.Status.Detail);
    }

    [Fact]
    public async Task A_restore_token_cannot_start_a_backup()
    {
        string token = await _d.TenantWithRepositoryAsync("acme", "main", Role.Restore);
        var e = await Refused(SessionDriver.StartAsync(_d.Repository(), DaemonFixture.As(token), "main"));
        Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
    }

    [Fact]
    public async Task A_tenant_admin_manages_its_own_tenant_only()
    {
        await _d.TenantWithRepositoryAsync("acme", "main", Role.Backup);
        await _d.TenantWithRepositoryAsync("globex", "main", Role.Backup);
        string tenantAdmin = await _d.TokenAsync("acme", null, Role.Admin);
        var admin = _d.Admin();
        var options = DaemonFixture.As(tenantAdmin);

        var created = await admin.CreateRepositoryAsync(new CreateRepositoryRequest { Name = "second" }, options);
        Assert.Equal("acme", created.Tenant);
        Assert.Equal(16, created.Id.Length);
        Assert.Equal(StatusCode.PermissionDenied, (await Refused(admin.CreateTenantAsync(new CreateTenantRequest { Name = "evil" }, options).ResponseAsync)).StatusCode);
        var other = await Refused(admin.ListRepositoriesAsync(new ListRepositoriesRequest { Tenant = "globex" }, options).ResponseAsync);
        var none = await Refused(admin.ListRepositoriesAsync(new ListRepositoriesRequest { Tenant = "nosuch" }, options).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, other.StatusCode);
        Assert.Equal(other.Status.Detail.Replace("globex", "X"), none.Status.Detail.Replace("nosuch", "X"));
        Assert.Equal(StatusCode.NotFound, (await Refused(admin.CreateTokenAsync(new CreateTokenRequest { Tenant = "system", Roles = { Role.Admin } }, options).ResponseAsync)).StatusCode);
        Assert.Equal(["acme"], (await admin.ListTenantsAsync(new ListTenantsRequest(), options)).Tenants.Select(t => t.Name));
    }

    [Fact]
    public async Task Admin_requests_with_bad_names_or_roles_are_invalid_arguments()
    {
        var admin = _d.Admin();
        var options = DaemonFixture.As(_d.AdminToken);
        foreach (var name in new[] { "", "UPPER", "../etc", "a/b", new string('a', 64), "-lead", "nul\0" })
        {
            var e = await Refused(admin.CreateTenantAsync(new CreateTenantRequest { Name = name }, options).ResponseAsync);
            Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        }
        await admin.CreateTenantAsync(new CreateTenantRequest { Name = "acme" }, options);
        Assert.Equal(StatusCode.AlreadyExists, (await Refused(admin.CreateTenantAsync(new CreateTenantRequest { Name = "acme" }, options).ResponseAsync)).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, (await Refused(admin.CreateTokenAsync(new CreateTokenRequest { Tenant = "acme" }, options).ResponseAsync)).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, (await Refused(admin.CreateTokenAsync(new CreateTokenRequest { Tenant = "acme", Roles = { (Role)99 } }, options).ResponseAsync)).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, (await Refused(admin.CreateRepositoryAsync(new CreateRepositoryRequest { Tenant = "system", Name = "x" }, options).ResponseAsync)).StatusCode);
        Assert.Equal(StatusCode.NotFound, (await Refused(admin.CreateTokenAsync(new CreateTokenRequest { Tenant = "acme", Repository = "nope", Roles = { Role.Backup } }, options).ResponseAsync)).StatusCode);
    }
}

/// <summary>The health client, written as a generated one would be.</summary>
internal sealed class HealthClient(GrpcChannel channel)
{
    public async Task<HealthCheckResponse> CheckAsync(string service) =>
        await channel.CreateCallInvoker().AsyncUnaryCall(HealthMethods.Check, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)), new HealthCheckRequest { Service = service });
}
