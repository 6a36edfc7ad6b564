using System.Diagnostics;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.Tests.Echo;
using Bunker.Tests.Shared;

namespace Bunker.Protocol.Tests;

/// <summary>Our client against an independent server: Node's @grpc/grpc-js (tests/interop/server.js).</summary>
public sealed class ReverseInteropTests : IAsyncLifetime
{
    private Process _node = null!;
    private Uri _address = null!;

    public async Task InitializeAsync()
    {
        string dir = await ExternalTools.InteropDirectoryAsync();
        var info = new ProcessStartInfo("node") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("server.js");
        _node = Process.Start(info)!;
        _node.ErrorDataReceived += (_, _) => { };
        _node.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string? port = await _node.StandardOutput.ReadLineAsync(timeout.Token);
        Assert.False(string.IsNullOrEmpty(port), "the node server printed no port");
        _address = new Uri($"http://127.0.0.1:{port!.Trim()}");
    }

    public Task DisposeAsync()
    {
        if (!_node.HasExited) _node.Kill(entireProcessTree: true);
        _node.Dispose();
        return Task.CompletedTask;
    }

    private static CallOptions Options(Metadata? headers = null) => new(headers, DateTime.UtcNow.AddSeconds(20));

    [Fact]
    public async Task Unary_with_metadata_and_an_error_status_with_trailers()
    {
        using var channel = GrpcChannel.ForAddress(_address);
        var invoker = channel.CreateCallInvoker();
        using var call = invoker.AsyncUnaryCall(EchoMethods.Unary, null, Options(new Metadata { { "x-echo-text", "from dotnet" } }), new EchoRequest { Message = "hi" });
        Assert.Equal("hi", (await call.ResponseAsync).Message);
        Assert.Equal("from dotnet", (await call.ResponseHeadersAsync).GetValue("x-echo-text"));

        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await invoker.AsyncUnaryCall(EchoMethods.Unary, null, Options(), new EchoRequest { Message = "nope ✓ 100%", StatusCode = (int)StatusCode.NotFound }));
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        Assert.Equal("nope ✓ 100%", e.Status.Detail);
        Assert.Equal("from node", e.Trailers.GetValue("x-error-detail"));
    }

    [Fact]
    public async Task Streaming_calls_in_all_three_shapes()
    {
        using var channel = GrpcChannel.ForAddress(_address);
        var invoker = channel.CreateCallInvoker();

        using (var server = invoker.AsyncServerStreamingCall(EchoMethods.ServerStream, null, Options(), new EchoRequest { Message = "s", Count = 3 }))
        {
            var indexes = new List<int>();
            while (await server.ResponseStream.MoveNext(CancellationToken.None)) indexes.Add(server.ResponseStream.Current.Index);
            Assert.Equal([0, 1, 2], indexes);
        }

        using (var client = invoker.AsyncClientStreamingCall(EchoMethods.ClientStream, null, Options()))
        {
            foreach (var part in new[] { "a", "b", "c" }) await client.RequestStream.WriteAsync(new EchoRequest { Message = part });
            await client.RequestStream.CompleteAsync();
            var reply = await client.ResponseAsync;
            Assert.Equal("a,b,c", reply.Message);
            Assert.Equal(3, reply.Index);
        }

        using var duplex = invoker.AsyncDuplexStreamingCall(EchoMethods.Duplex, null, Options());
        for (int i = 0; i < 3; i++)
        {
            await duplex.RequestStream.WriteAsync(new EchoRequest { Message = "d" + i });
            Assert.True(await duplex.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal("d" + i, duplex.ResponseStream.Current.Message);
        }
        await duplex.RequestStream.CompleteAsync();
        Assert.False(await duplex.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.OK, duplex.GetStatus().StatusCode);
    }
}
