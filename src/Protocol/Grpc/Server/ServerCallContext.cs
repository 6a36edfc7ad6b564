using Microsoft.AspNetCore.Http;

namespace Bunker.Protocol.Grpc;

/// <summary>What a server handler knows about its call, and how it shapes the response's headers and trailers.</summary>
public sealed class ServerCallContext
{
    private readonly ServerCall _call;
    private Dictionary<object, object>? _userState;

    internal ServerCallContext(ServerCall call, string method, Metadata requestHeaders, DateTime deadline, CancellationToken cancellationToken)
    {
        _call = call;
        Method = method;
        RequestHeaders = requestHeaders;
        Deadline = deadline;
        CancellationToken = cancellationToken;
    }

    /// <summary>The method's path, <c>/package.Service/Method</c>.</summary>
    public string Method { get; }

    public string Host => _call.HttpContext.Request.Host.Value ?? "";

    /// <summary>The client's address, <c>ipv4:1.2.3.4:5678</c> or <c>ipv6:[::1]:5678</c>.</summary>
    public string Peer => _call.Peer;

    /// <summary>When the client's <c>grpc-timeout</c> runs out (UTC); <see cref="DateTime.MaxValue"/> without one.</summary>
    public DateTime Deadline { get; }

    public Metadata RequestHeaders { get; }

    /// <summary>Cancelled when the client cancels (RST_STREAM, disconnect) or the deadline passes.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>Custom trailers, sent after the last message with the status.</summary>
    public Metadata ResponseTrailers { get; } = new();

    /// <summary>The status to send when the handler returns normally (OK unless set).</summary>
    public Status Status { get; set; } = Status.DefaultSuccess;

    /// <summary>A bag for interceptors and hooks to pass things (an authenticated principal, say) to handlers.</summary>
    public IDictionary<object, object> UserState => _userState ??= [];

    /// <summary>Sends the response headers now, with these entries added. At most once, and before the first message.</summary>
    public Task WriteResponseHeadersAsync(Metadata responseHeaders) => _call.WriteResponseHeadersAsync(responseHeaders);

    public HttpContext GetHttpContext() => _call.HttpContext;
}
