using System.Text.Json;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.Tests.Echo;
using Bunker.Tests.Shared;

namespace Bunker.Protocol.Tests;

/// <summary>An independent stack, Node's @grpc/grpc-js (tests/interop/client.js), calls our server.</summary>
public sealed class InteropTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Node_grpc_js_client_calls_our_server()
    {
        var dir = await ExternalTools.InteropDirectoryAsync();
        var (code, output) = await ExternalTools.RunAsync("node", ["client.js", $"{server.Address.Host}:{server.Address.Port}"], dir, TimeSpan.FromSeconds(30));
        Assert.True(code == 0, output);
        using var json = JsonDocument.Parse(output.Split('\n').First(l => l.StartsWith('{')));
        var root = json.RootElement;

        var unary = root.GetProperty("unary");
        Assert.Equal("hello from node", unary.GetProperty("message").GetString());
        Assert.Equal("from node", unary.GetProperty("headers").GetProperty("text").GetString());
        Assert.Equal("000102ff", unary.GetProperty("headers").GetProperty("bin").GetString());

        var error = root.GetProperty("unaryError");
        Assert.Equal((int)StatusCode.NotFound, error.GetProperty("code").GetInt32());
        Assert.Equal("nope ✓ 100%", error.GetProperty("details").GetString());
        Assert.Equal("detail for NotFound", error.GetProperty("detail").GetString());

        var stream = root.GetProperty("serverStream");
        Assert.Equal([0, 1, 2], stream.GetProperty("indexes").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(0, stream.GetProperty("code").GetInt32());

        Assert.Equal("SERVING", root.GetProperty("health").GetProperty("status").GetString());
        Assert.Equal((int)StatusCode.NotFound, root.GetProperty("healthUnknown").GetProperty("code").GetInt32());
    }
}
