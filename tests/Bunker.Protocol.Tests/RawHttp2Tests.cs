using System.Net;
using System.Net.Http.Headers;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.Tests.Echo;

namespace Bunker.Protocol.Tests;

/// <summary>Hand-made request bodies sent over plain HttpClient (HTTP/2 prior knowledge): the server must answer with a status and stay up.</summary>
public sealed class RawHttp2Tests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private async Task<(HttpResponseMessage Response, string? Status, string? Message)> SendAsync(byte[] body, string contentType = "application/grpc",
        string path = "/bunker.test.Echo/Unary")
    {
        using var client = new HttpClient();
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.Address, path)) { Content = content, Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        request.Headers.TryAddWithoutValidation("te", "trailers");
        var response = await client.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        string? Get(string name) =>
            response.TrailingHeaders.TryGetValues(name, out var t) ? t.First()
            : response.Headers.TryGetValues(name, out var h) ? h.First() : null;
        return (response, Get("grpc-status"), Get("grpc-message"));
    }

    private async Task AssertServerStillServesAsync()
    {
        using var channel = server.CreateChannel();
        var reply = await channel.CreateCallInvoker().AsyncUnaryCall(EchoMethods.Unary, null, default, new EchoRequest { Message = "alive" });
        Assert.Equal("alive", reply.Message);
    }

    [Fact]
    public async Task Truncated_frame_is_internal()
    {
        var (response, status, message) = await SendAsync([0, 0, 0, 0, 10, 1, 2, 3]);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(((int)StatusCode.Internal).ToString(), status);
        Assert.Contains("truncated", message);
        await AssertServerStillServesAsync();
    }

    [Fact]
    public async Task Giant_length_prefix_is_resource_exhausted_without_waiting_for_the_bytes()
    {
        var (_, status, message) = await SendAsync([0, 0xFF, 0xFF, 0xFF, 0xF0, 1, 2, 3]);
        Assert.Equal(((int)StatusCode.ResourceExhausted).ToString(), status);
        Assert.Contains("maximum", message);
        await AssertServerStillServesAsync();
    }

    [Fact]
    public async Task Garbage_protobuf_is_internal()
    {
        // Field 1 as a length-delimited string claiming 100 bytes with only 3 present.
        var (_, status, _) = await SendAsync([0, 0, 0, 0, 5, 0x0A, 100, 1, 2, 3]);
        Assert.Equal(((int)StatusCode.Internal).ToString(), status);
        await AssertServerStillServesAsync();
    }

    [Fact]
    public async Task Compressed_flag_without_encoding_is_internal()
    {
        var (_, status, message) = await SendAsync([1, 0, 0, 0, 0]);
        Assert.Equal(((int)StatusCode.Internal).ToString(), status);
        Assert.Contains("grpc-encoding", message);
    }

    [Fact]
    public async Task Empty_unary_request_is_internal()
    {
        var (_, status, _) = await SendAsync([]);
        Assert.Equal(((int)StatusCode.Internal).ToString(), status);
    }

    [Fact]
    public async Task Wrong_content_type_is_http_415()
    {
        var (response, _, _) = await SendAsync([0, 0, 0, 0, 0], "application/json");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        var (plusProto, status, _) = await SendAsync([0, 0, 0, 0, 0], "application/grpc+proto");
        Assert.Equal(HttpStatusCode.OK, plusProto.StatusCode);
        Assert.Equal("0", status);
    }

    [Fact]
    public async Task Unknown_service_is_unimplemented_trailers_only()
    {
        var (response, status, _) = await SendAsync([0, 0, 0, 0, 0], path: "/no.Such/Method");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.Contains("grpc-status"), "Trailers-Only puts the status in the headers");
        Assert.Equal(((int)StatusCode.Unimplemented).ToString(), status);
    }
}
