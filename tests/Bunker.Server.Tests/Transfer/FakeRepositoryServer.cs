using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Bunker.Server.Tests.Transfer;

/// <summary>
/// A Repository service on a TestServer whose ReadChunks answers whatever the test says: for what a
/// real server never sends (a chunk that does not match its digest, a chunk left out).
/// </summary>
internal sealed class FakeRepositoryServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TestServer _server;

    private FakeRepositoryServer(WebApplication app)
    {
        _app = app;
        _server = (TestServer)app.Services.GetRequiredService<IServer>();
    }

    public static async Task<FakeRepositoryServer> StartAsync(Func<ReadChunksRequest, IEnumerable<ChunkData>> readChunks)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseTestServer();
        builder.Services.AddSingleton(new FakeRepository(readChunks));
        builder.Services.AddBunkerGrpc(o => o.MaxReceiveMessageSize = 64 << 20);
        var app = builder.Build();
        app.MapBunkerGrpcService<FakeRepository>();
        await app.StartAsync();
        return new FakeRepositoryServer(app);
    }

    public GrpcChannel Channel() => GrpcChannel.ForAddress(new Uri("http://localhost"), new GrpcChannelOptions
    {
        MaxReceiveMessageSize = 64 << 20,
        HttpHandler = _server.CreateHandler(),
    });

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private sealed class FakeRepository(Func<ReadChunksRequest, IEnumerable<ChunkData>> readChunks) : Repository.RepositoryBase
    {
        public override async Task ReadChunks(ReadChunksRequest request, IServerStreamWriter<ChunkData> responseStream, ServerCallContext context)
        {
            foreach (var chunk in readChunks(request))
                await responseStream.WriteAsync(chunk, context.CancellationToken);
        }
    }
}
