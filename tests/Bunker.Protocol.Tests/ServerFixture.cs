using System.Net;
using Bunker.Protocol.Grpc;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Bunker.Protocol.Tests;

/// <summary>A real Kestrel on 127.0.0.1, a free port, HTTP/2 without TLS (h2c), hosting Echo and Health.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private WebApplication? _app;

    public EchoService Echo { get; } = new();
    public Uri Address { get; private set; } = null!;
    public const int ServerMaxReceive = 1024 * 1024;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddSingleton(Echo);
        builder.Services.AddBunkerGrpc(o =>
        {
            o.MaxReceiveMessageSize = ServerMaxReceive;
            o.PreCallHooks.Add(context =>
            {
                if (context.RequestHeaders.GetValue("x-deny") is { } reason)
                {
                    throw new RpcException(new Status(StatusCode.Unauthenticated, "denied: " + reason));
                }
                context.UserState["hooked"] = true;
                return Task.CompletedTask;
            });
        });
        _app = builder.Build();
        _app.MapBunkerGrpcService<EchoService>();
        _app.MapBunkerGrpcService<HealthService>();
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Address = new Uri(address);
    }

    public GrpcChannel CreateChannel(GrpcChannelOptions? options = null) => GrpcChannel.ForAddress(Address, options);

    public async Task DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
    }
}
