using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace Bunker.Protocol.Grpc;

/// <summary>
/// One server call on one HTTP/2 stream: deadline and cancellation, request reading, response writing and the
/// closing status (trailers, or Trailers-Only when nothing was sent yet).
/// </summary>
internal sealed class ServerCall : IDisposable
{
    private readonly GrpcServerOptions _options;
    private readonly CancellationTokenSource? _deadlineCts;
    private readonly CancellationTokenSource _callCts;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly string? _requestEncoding;
    private bool _finished;

    public ServerCall(HttpContext httpContext, GrpcServerOptions options, string method)
    {
        HttpContext = httpContext;
        _options = options;
        var deadline = DateTime.MaxValue;
        if (GrpcWire.TryParseTimeout(httpContext.Request.Headers[GrpcWire.TimeoutHeader], out var timeout))
        {
            var now = DateTime.UtcNow;
            deadline = timeout < DateTime.MaxValue - now ? now + timeout : DateTime.MaxValue;
            if (timeout < GrpcWire.MaxTimer)
            {
                _deadlineCts = new CancellationTokenSource();
                _deadlineCts.CancelAfter(timeout);
            }
        }
        _callCts = _deadlineCts is null
            ? CancellationTokenSource.CreateLinkedTokenSource(httpContext.RequestAborted)
            : CancellationTokenSource.CreateLinkedTokenSource(httpContext.RequestAborted, _deadlineCts.Token);
        _requestEncoding = httpContext.Request.Headers[GrpcWire.EncodingHeader].FirstOrDefault();
        Peer = FormatPeer(httpContext.Connection.RemoteIpAddress, httpContext.Connection.RemotePort);
        Context = new ServerCallContext(this, method, GrpcWire.ToMetadata(httpContext.Request.Headers), deadline, _callCts.Token);

        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = GrpcWire.ContentType;
        response.Headers[GrpcWire.AcceptEncodingHeader] = GrpcWire.IdentityEncoding;
        // A gRPC body is a stream of frames; never let a server-wide limit cut a long client stream short.
        var sizeFeature = httpContext.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false }) sizeFeature.MaxRequestBodySize = null;
    }

    public HttpContext HttpContext { get; }
    public ServerCallContext Context { get; }
    public string Peer { get; }
    public bool DeadlineExceeded => _deadlineCts?.IsCancellationRequested == true;
    public bool ClientGone => HttpContext.RequestAborted.IsCancellationRequested;

    public ValueTask<(bool HasMessage, T? Message)> ReadMessageAsync<T>(Marshaller<T> marshaller, CancellationToken cancellationToken) =>
        MessageFraming.ReadMessageAsync(HttpContext.Request.BodyReader, marshaller, _options.MaxReceiveMessageSize,
            _requestEncoding, "request", cancellationToken);

    /// <summary>Reads the single request of a unary or server-streaming call.</summary>
    public async Task<T> ReadSingleRequestAsync<T>(Marshaller<T> marshaller)
    {
        var (hasMessage, message) = await ReadMessageAsync(marshaller, Context.CancellationToken).ConfigureAwait(false);
        if (!hasMessage) throw new RpcException(new Status(StatusCode.Internal, "The request stream ended without a message."));
        var (extra, _) = await ReadMessageAsync(marshaller, Context.CancellationToken).ConfigureAwait(false);
        if (extra) throw new RpcException(new Status(StatusCode.Internal, "The request stream carried more than one message for a single-request method."));
        return message!;
    }

    public async Task WriteMessageAsync<T>(T message, Marshaller<T> marshaller, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_finished) throw new InvalidOperationException("The call is already complete; no more messages can be written.");
            var writer = HttpContext.Response.BodyWriter;
            MessageFraming.WriteMessage(writer, message, marshaller, _options.MaxSendMessageSize);
            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task WriteResponseHeadersAsync(Metadata headers)
    {
        await _writeLock.WaitAsync(Context.CancellationToken).ConfigureAwait(false);
        try
        {
            if (HttpContext.Response.HasStarted || _finished) throw new InvalidOperationException("Response headers can only be sent once, before any message.");
            AppendMetadata(HttpContext.Response.Headers, headers);
            await HttpContext.Response.BodyWriter.FlushAsync(Context.CancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Ends the call: status and trailers after the messages, or all in the headers (Trailers-Only) if nothing was sent.</summary>
    public async Task FinishAsync(Status status)
    {
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_finished) return;
            _finished = true;
            var response = HttpContext.Response;
            if (!response.HasStarted)
            {
                WriteStatus(response.Headers, status, Context.ResponseTrailers);
                return;
            }
            var trailers = new HeaderDictionary();
            WriteStatus(trailers, status, Context.ResponseTrailers);
            foreach (var (name, value) in trailers) response.AppendTrailer(name, value);
            await response.BodyWriter.FlushAsync().ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Answers with status and message only, before any handler runs (unknown method, refused content type...).</summary>
    public static void WriteTrailersOnly(HttpResponse response, Status status)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = GrpcWire.ContentType;
        WriteStatus(response.Headers, status, Metadata.Empty);
    }

    internal static void WriteStatus(IHeaderDictionary target, Status status, Metadata trailers)
    {
        AppendMetadata(target, trailers);
        target[GrpcWire.StatusHeader] = ((int)status.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (!string.IsNullOrEmpty(status.Detail)) target[GrpcWire.MessageHeader] = GrpcWire.PercentEncode(status.Detail);
    }

    private static void AppendMetadata(IHeaderDictionary target, Metadata metadata)
    {
        foreach (var entry in metadata)
        {
            if (GrpcWire.IsReservedHeader(entry.Key)) continue;
            target.Append(entry.Key, GrpcWire.ToWireValue(entry));
        }
    }

    private static string FormatPeer(IPAddress? address, int port) => address switch
    {
        null => "unknown",
        { AddressFamily: AddressFamily.InterNetworkV6 } when address.IsIPv4MappedToIPv6 => $"ipv4:{address.MapToIPv4()}:{port}",
        { AddressFamily: AddressFamily.InterNetworkV6 } => $"ipv6:[{address}]:{port}",
        _ => $"ipv4:{address}:{port}",
    };

    public void Dispose()
    {
        _callCts.Dispose();
        _deadlineCts?.Dispose();
        _writeLock.Dispose();
    }
}
