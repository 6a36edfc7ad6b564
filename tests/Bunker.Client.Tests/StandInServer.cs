using System.Net;
using System.Security.Cryptography.X509Certificates;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Bunker.Client.Tests;

/// <summary>
/// A Kestrel on 127.0.0.1 serving canned Repository.Hello and Admin answers, and recording what the client sent.
/// It stands in for bunkerd (written elsewhere) so the tests pin the client's requests and output, not the server's rules.
/// </summary>
internal sealed class StandInServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private StandInServer(WebApplication app, Uri address, StandInServices services)
    {
        _app = app;
        Address = address;
        Services = services;
    }

    public Uri Address { get; }
    public StandInServices Services { get; }

    /// <summary>Starts on a free port: h2c, or TLS with <paramref name="certificate"/> when given.</summary>
    public static async Task<StandInServer> StartAsync(X509Certificate2? certificate = null)
    {
        var services = new StandInServices();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            if (certificate is not null) listen.UseHttps(certificate);
        }));
        builder.Services.AddSingleton(services.Repository);
        builder.Services.AddSingleton(services.Admin);
        builder.Services.AddBunkerGrpc();
        var app = builder.Build();
        app.MapBunkerGrpcService<StandInRepository>();
        app.MapBunkerGrpcService<StandInAdmin>();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new StandInServer(app, new Uri(address), services);
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}

/// <summary>What the stand-in services saw, and what they should fail with.</summary>
internal sealed class StandInServices
{
    public StandInServices()
    {
        Repository = new StandInRepository(this);
        Admin = new StandInAdmin(this);
    }

    public StandInRepository Repository { get; }
    public StandInAdmin Admin { get; }

    /// <summary>When set, every call fails with it.</summary>
    public Status? FailWith { get; set; }

    public string? LastAuthorization { get; private set; }
    public DateTime LastDeadline { get; private set; }
    public object? LastRequest { get; private set; }

    public T Record<T>(T request, ServerCallContext context)
    {
        LastAuthorization = context.RequestHeaders.GetValue("authorization");
        LastDeadline = context.Deadline;
        LastRequest = request;
        if (FailWith is { } status) throw new RpcException(status);
        return request;
    }
}

internal sealed class StandInRepository(StandInServices services) : Repository.RepositoryBase
{
    public static readonly DateTimeOffset Expiry = new(2030, 1, 2, 3, 4, 5, TimeSpan.Zero);

    public override Task<HelloResponse> Hello(HelloRequest request, ServerCallContext context)
    {
        services.Record(request, context);
        var response = new HelloResponse
        {
            ServerVersion = "bunkerd/test",
            ProtocolVersion = 1,
            Tenant = "acme",
            Roles = { Role.Admin, Role.Backup },
            Repositories = { "photos", "mail" },
            MaxMessageSize = 16 << 20,
            MaxChunkSize = 8 << 20,
            TokenExpiresUnix = Expiry.ToUnixTimeSeconds(),
        };
        if (request.Repository.Length > 0) response.RepositoryId = Google.Protobuf.ByteString.CopyFrom(new byte[16]);
        return Task.FromResult(response);
    }
}

internal sealed class StandInAdmin(StandInServices services) : Admin.AdminBase
{
    public static readonly TokenInfo Token = new()
    {
        Id = "0123abcd",
        Tenant = "acme",
        Roles = { Role.Backup },
        Repository = "photos",
        CreatedUnix = 1_700_000_000,
        Description = "nightly\tjob",
    };

    public override Task<CreateTokenResponse> CreateToken(CreateTokenRequest request, ServerCallContext context)
    {
        services.Record(request, context);
        return Task.FromResult(new CreateTokenResponse { Token = "bkr_0123abcd_secret", Info = Token });
    }

    public override Task<ListTokensResponse> ListTokens(ListTokensRequest request, ServerCallContext context)
    {
        services.Record(request, context);
        return Task.FromResult(new ListTokensResponse { Tokens = { Token } });
    }

    public override Task<TokenInfo> RevokeToken(RevokeTokenRequest request, ServerCallContext context)
    {
        services.Record(request, context);
        var revoked = Token.Clone();
        revoked.RevokedUnix = 1_800_000_000;
        return Task.FromResult(revoked);
    }

    public override Task<TenantInfo> CreateTenant(CreateTenantRequest request, ServerCallContext context)
    {
        services.Record(request, context);
        return Task.FromResult(new TenantInfo { Name = request.Name, CreatedUnix = 1_700_000_000 });
    }

    public override Task<ListTenantsResponse> ListTenants(ListTenantsRequest request, ServerCallContext context)
    {
        services.Record(request, context);
        return Task.FromResult(new ListTenantsResponse { Tenants = { new TenantInfo { Name = "system" }, new TenantInfo { Name = "acme", CreatedUnix = 1_700_000_000 } } });
    }

    public override Task<RepositoryInfo> CreateRepository(CreateRepositoryRequest request, ServerCallContext context)
    {
        services.Record(request, context);
        var tenant = request.Tenant.Length == 0 ? "acme" : request.Tenant;
        return Task.FromResult(new RepositoryInfo { Tenant = tenant, Name = request.Name, Id = Google.Protobuf.ByteString.CopyFrom(Enumerable.Repeat((byte)0xab, 16).ToArray()) });
    }

    public override Task<ListRepositoriesResponse> ListRepositories(ListRepositoriesRequest request, ServerCallContext context)
    {
        services.Record(request, context);
        return Task.FromResult(new ListRepositoriesResponse { Repositories = { new RepositoryInfo { Tenant = "acme", Name = "photos", Id = Google.Protobuf.ByteString.CopyFrom(new byte[16]) } } });
    }
}
