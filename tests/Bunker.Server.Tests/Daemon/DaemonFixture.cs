using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;
using Bunker.Server.Hosting;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Bunker.Server.Tests.Daemon;

/// <summary>
/// A bunkerd in this process over a fresh data directory: on a TestServer (the default) or on real
/// Kestrel at 127.0.0.1 and a free port. It can be stopped and started again on the same data.
/// </summary>
public sealed class DaemonFixture : IAsyncDisposable
{
    private readonly bool _kestrel;
    private readonly Action<BunkerdOptions>? _configure;
    private readonly Dictionary<string, string> _env;
    private HttpMessageHandler? _handler;

    private DaemonFixture(string root, bool kestrel, Action<BunkerdOptions>? configure, Dictionary<string, string> env)
    {
        Root = root;
        _kestrel = kestrel;
        _configure = configure;
        _env = env;
    }

    public string Root { get; }
    public string Data => Path.Combine(Root, "data");
    public Bunkerd Daemon { get; private set; } = null!;
    public Uri Address { get; private set; } = null!;
    public string AdminToken { get; private set; } = null!;

    public static async Task<DaemonFixture> StartAsync(bool kestrel = false, Action<BunkerdOptions>? configure = null, Dictionary<string, string>? env = null)
    {
        var fixture = new DaemonFixture(Directory.CreateTempSubdirectory("bunkerd-test-").FullName, kestrel, configure, env ?? []);
        await fixture.StartAgainAsync();
        return fixture;
    }

    /// <summary>Starts a daemon over the data directory (after <see cref="StopAsync"/>, a restart).</summary>
    public async Task StartAgainAsync()
    {
        var options = new BunkerdOptions { Data = Data, Listen = "127.0.0.1:0", PackTargetSize = 4 << 20, ShutdownSeconds = 5 };
        _configure?.Invoke(options);
        Daemon = Bunkerd.Create(options, name => _env.TryGetValue(name, out var value) ? value : null, builder =>
        {
            builder.Logging.ClearProviders();
            if (!_kestrel) builder.WebHost.UseTestServer();
        });
        await Daemon.App.StartAsync();
        var server = Daemon.App.Services.GetRequiredService<IServer>();
        if (server is TestServer test)
        {
            _handler = test.CreateHandler();
            Address = new Uri("http://localhost");
        }
        else
        {
            _handler = null;
            Address = new Uri(server.Features.Get<IServerAddressesFeature>()!.Addresses.First());
        }
        if (File.Exists(DataDirectory.AdminTokenPath(Data)))
            AdminToken = File.ReadAllText(DataDirectory.AdminTokenPath(Data)).Trim();
    }

    public async Task StopAsync() => await Daemon.DisposeAsync();

    public GrpcChannel Channel() => GrpcChannel.ForAddress(Address, new GrpcChannelOptions
    {
        MaxReceiveMessageSize = 64 << 20,
        HttpHandler = _handler,
        DisposeHttpHandler = false,
    });

    public Repository.RepositoryClient Repository() => new(Channel());
    public Admin.AdminClient Admin() => new(Channel());

    /// <summary>Call options that present <paramref name="token"/>, with a generous deadline.</summary>
    public static CallOptions As(string token, CancellationToken cancellationToken = default, TimeSpan? timeout = null) =>
        new(new Metadata { { "authorization", "Bearer " + token } }, DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60)), cancellationToken);

    /// <summary>Creates a tenant, a repository in it and a token with the given roles; returns the token.</summary>
    public async Task<string> TenantWithRepositoryAsync(string tenant, string repository, params Role[] roles)
    {
        var admin = Admin();
        var options = As(AdminToken);
        try { await admin.CreateTenantAsync(new CreateTenantRequest { Name = tenant }, options); }
        catch (RpcException e) when (e.StatusCode == StatusCode.AlreadyExists) { }
        try { await admin.CreateRepositoryAsync(new CreateRepositoryRequest { Tenant = tenant, Name = repository }, options); }
        catch (RpcException e) when (e.StatusCode == StatusCode.AlreadyExists) { }
        return await TokenAsync(tenant, null, roles);
    }

    public async Task<string> TokenAsync(string tenant, string? repository, params Role[] roles)
    {
        var request = new CreateTokenRequest { Tenant = tenant, Repository = repository ?? "" };
        request.Roles.AddRange(roles);
        return (await Admin().CreateTokenAsync(request, As(AdminToken))).Token;
    }

    /// <summary>The daemon's own storage object for a repository, to check what the wire said against the index.</summary>
    public async Task<Bunker.Storage.Repository> StoredRepositoryAsync(string tenant, string name)
    {
        Assert.True(Daemon.Registry.TryGetRepository(tenant, name, out var record), $"no repository {tenant}/{name}");
        return await Daemon.Host.GetAsync(record);
    }

    public async ValueTask DisposeAsync()
    {
        await Daemon.DisposeAsync();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
