namespace Bunker.Protocol.Grpc;

/// <summary>Per-call options: extra request headers, a deadline (UTC) and a token that cancels the call.</summary>
public readonly struct CallOptions(Metadata? headers = null, DateTime? deadline = null, CancellationToken cancellationToken = default)
{
    public Metadata? Headers { get; } = headers;
    public DateTime? Deadline { get; } = deadline;
    public CancellationToken CancellationToken { get; } = cancellationToken;

    public CallOptions WithHeaders(Metadata headers) => new(headers, Deadline, CancellationToken);
    public CallOptions WithDeadline(DateTime deadline) => new(Headers, deadline, CancellationToken);
    public CallOptions WithCancellationToken(CancellationToken cancellationToken) => new(Headers, Deadline, cancellationToken);
}

public sealed class GrpcChannelOptions
{
    /// <summary>Largest response message accepted (bytes); larger ones fail the call with RESOURCE_EXHAUSTED. Null: no limit.</summary>
    public int? MaxReceiveMessageSize { get; set; } = MessageFraming.DefaultMaxReceiveMessageSize;

    /// <summary>Largest request message sent (bytes); larger ones fail the call with RESOURCE_EXHAUSTED. Null: no limit.</summary>
    public int? MaxSendMessageSize { get; set; }

    /// <summary>The handler under the channel's HttpClient; by default a SocketsHttpHandler with several HTTP/2 connections.</summary>
    public HttpMessageHandler? HttpHandler { get; set; }

    /// <summary>Whether disposing the channel disposes <see cref="HttpHandler"/> (always true for the default one).</summary>
    public bool DisposeHttpHandler { get; set; } = true;
}
