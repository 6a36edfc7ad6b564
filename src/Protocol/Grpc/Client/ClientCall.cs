using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;

namespace Bunker.Protocol.Grpc;

/// <summary>
/// One client call on one HTTP/2 stream. The first status to be known wins (trailers, a framing error, a cancellation,
/// the deadline); a non-OK status aborts the stream. Serves as the request writer and the response reader of the call.
/// </summary>
internal sealed class ClientCall<TRequest, TResponse> : IClientStreamWriter<TRequest>, IAsyncStreamReader<TResponse>, IDisposable
{
    /// <summary>How long a failed write waits for the server's status before its own error decides the call's.</summary>
    private static readonly TimeSpan WriteFailureGrace = TimeSpan.FromSeconds(2);
    // The default 4 KiB segments mean one read of the HTTP/2 stream per 4 KiB and a 1,024-segment sequence to parse for
    // each 4 MiB chunk; 64 KiB segments cut both by 16 for a restore's large messages (segments are pooled either way).
    private static readonly StreamPipeReaderOptions ResponseReaderOptions = new(bufferSize: 64 << 10, minimumReadSize: 16 << 10);

    private readonly GrpcChannel _channel;
    private readonly Method<TRequest, TResponse> _method;
    private readonly CallOptions _options;
    private readonly CancellationTokenSource _deadlineCts = new();
    private readonly CancellationTokenSource _callCts;
    private readonly TaskCompletionSource<Metadata> _headers = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Lock _statusLock = new();
    private Status? _status;
    private Metadata _trailers = Metadata.Empty;
    private PushContent? _requestContent;
    private PipeWriter? _requestWriter;
    private bool _requestCompleted;
    private Task<HttpResponseMessage?> _responseTask = Task.FromResult<HttpResponseMessage?>(null);
    private HttpResponseMessage? _response;
    private PipeReader? _responseReader;
    private string? _responseEncoding;

    private ClientCall(GrpcChannel channel, Method<TRequest, TResponse> method, CallOptions options)
    {
        _channel = channel;
        _method = method;
        _options = options;
        _callCts = CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken, _deadlineCts.Token);
    }

    public Task<Metadata> ResponseHeadersAsync => _headers.Task;

    public TResponse Current { get; private set; } = default!;

    public static ClientCall<TRequest, TResponse> Start(GrpcChannel channel, Method<TRequest, TResponse> method, CallOptions options,
        TRequest? request, bool streamingRequest = false)
    {
        var call = new ClientCall<TRequest, TResponse>(channel, method, options);
        call.Begin(request, streamingRequest);
        return call;
    }

    private void Begin(TRequest? request, bool streamingRequest)
    {
        TimeSpan? timeout = null;
        if (_options.Deadline is { } deadline && deadline != DateTime.MaxValue)
        {
            var utc = deadline.Kind == DateTimeKind.Local ? deadline.ToUniversalTime() : deadline;
            timeout = utc - DateTime.UtcNow;
            if (timeout <= TimeSpan.Zero)
            {
                Finish(GrpcWire.DeadlineStatus, Metadata.Empty);
                return;
            }
        }

        HttpContent content;
        if (streamingRequest)
        {
            content = _requestContent = new PushContent();
        }
        else
        {
            var frame = new ArrayBufferWriter<byte>();
            try
            {
                MessageFraming.WriteMessage(frame, request!, _method.RequestMarshaller, _channel.Options.MaxSendMessageSize);
            }
            catch (RpcException e)
            {
                Finish(e.Status, Metadata.Empty);
                return;
            }
            content = new ReadOnlyMemoryContent(frame.WrittenMemory);
            content.Headers.ContentType = new MediaTypeHeaderValue(GrpcWire.ContentType);
        }

        var message = new HttpRequestMessage(HttpMethod.Post, new Uri(_channel.Address, _method.FullName))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        var headers = message.Headers;
        headers.TryAddWithoutValidation("te", "trailers");
        headers.TryAddWithoutValidation("user-agent", "bunker-grpc/1.0");
        headers.TryAddWithoutValidation(GrpcWire.AcceptEncodingHeader, GrpcWire.IdentityEncoding);
        if (timeout is { } t) headers.TryAddWithoutValidation(GrpcWire.TimeoutHeader, GrpcWire.FormatTimeout(t));
        foreach (var entry in _options.Headers ?? Metadata.Empty)
        {
            if (!GrpcWire.IsReservedHeader(entry.Key)) headers.TryAddWithoutValidation(entry.Key, GrpcWire.ToWireValue(entry));
        }

        if (timeout is { } span && span < GrpcWire.MaxTimer) _deadlineCts.CancelAfter(span);
        _callCts.Token.Register(() => Finish(CancellationStatus(), Metadata.Empty));
        _responseTask = ReceiveHeadersAsync(message);
    }

    private async Task<HttpResponseMessage?> ReceiveHeadersAsync(HttpRequestMessage message)
    {
        HttpResponseMessage response;
        try
        {
            response = await _channel.HttpClient.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, _callCts.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Finish(StatusFromException(e, "Error starting gRPC call"), Metadata.Empty);
            return null;
        }
        _response = response;
        var headers = GrpcWire.ToMetadata(response.Headers.NonValidated);
        var hasStatus = response.Headers.Contains(GrpcWire.StatusHeader);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            Finish(hasStatus ? ParseStatus(response.Headers)
                : new Status(GrpcWire.FromHttpStatus(response.StatusCode),
                    $"Bad gRPC response. HTTP status code: {(int)response.StatusCode}."), headers);
            return null;
        }
        var contentType = response.Content.Headers.ContentType?.ToString();
        if (!GrpcWire.IsGrpcContentType(contentType))
        {
            Finish(new Status(StatusCode.Internal, $"Bad gRPC response. Invalid content-type value: '{contentType}'."), headers);
            return null;
        }
        _headers.TrySetResult(headers);
        if (hasStatus)
        {
            // Trailers-Only: the status came in the headers and there is no body.
            Finish(ParseStatus(response.Headers), headers);
            return null;
        }
        return response;
    }

    /// <summary>Reads the next response message; false at the end of an OK call; RpcException for any other end.</summary>
    private async Task<(bool HasMessage, TResponse? Message)> ReadNextAsync(CancellationToken cancellationToken)
    {
        var response = await _responseTask.ConfigureAwait(false);
        if (response is not null && _status is null)
        {
            using var linked = GrpcWire.Link(cancellationToken, _callCts.Token, out var token);
            try
            {
                if (_responseReader is null)
                {
                    var stream = await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false);
                    _responseReader = PipeReader.Create(stream, ResponseReaderOptions);
                    _responseEncoding = response.Headers.TryGetValues(GrpcWire.EncodingHeader, out var values) ? values.FirstOrDefault() : null;
                }
                var (hasMessage, message) = await MessageFraming.ReadMessageAsync(_responseReader, _method.ResponseMarshaller,
                    _channel.Options.MaxReceiveMessageSize, _responseEncoding, "response", token).ConfigureAwait(false);
                if (hasMessage) return (true, message);
                var trailers = response.TrailingHeaders;
                Finish(trailers.Contains(GrpcWire.StatusHeader)
                    ? ParseStatus(trailers)
                    : new Status(StatusCode.Unknown, "No grpc-status found on response."), GrpcWire.ToMetadata(trailers.NonValidated));
            }
            catch (RpcException e)
            {
                Finish(e.Status, Metadata.Empty);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && !_callCts.IsCancellationRequested)
            {
                Finish(new Status(StatusCode.Cancelled, "Reading the response was cancelled."), Metadata.Empty);
            }
            catch (Exception e)
            {
                Finish(StatusFromException(e, "Error reading the response"), Metadata.Empty);
            }
        }
        ThrowIfFailed();
        return (false, default);
    }

    public async Task<TResponse> ReadSingleResponseAsync()
    {
        var (hasMessage, message) = await ReadNextAsync(CancellationToken.None).ConfigureAwait(false);
        if (!hasMessage) throw new RpcException(new Status(StatusCode.Internal, "The call ended OK without a response message."));
        var (extra, _) = await ReadNextAsync(CancellationToken.None).ConfigureAwait(false);
        if (extra)
        {
            var status = new Status(StatusCode.Internal, "The server sent more than one message for a single-response method.");
            Finish(status, Metadata.Empty);
            throw new RpcException(status);
        }
        return message!;
    }

    public async Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        var (hasMessage, message) = await ReadNextAsync(cancellationToken).ConfigureAwait(false);
        Current = hasMessage ? message! : default!;
        return hasMessage;
    }

    public Task WriteAsync(TRequest message) => WriteAsync(message, CancellationToken.None);

    public async Task WriteAsync(TRequest message, CancellationToken cancellationToken)
    {
        var content = _requestContent ?? throw new InvalidOperationException("This call has no request stream.");
        // A call the server already failed says so, rather than failing the write some other way.
        ThrowIfFailed();
        using var linked = GrpcWire.Link(cancellationToken, _callCts.Token, out var token);
        bool locked = false;
        try
        {
            // Waiting for the lock is inside the try: the server's status may cancel the call while we wait.
            await _writeLock.WaitAsync(token).ConfigureAwait(false);
            locked = true;
            if (_requestCompleted) throw new InvalidOperationException("The request stream is already complete.");
            ThrowIfFinished();
            _requestWriter ??= PipeWriter.Create(await content.GetStreamAsync(token).ConfigureAwait(false), new StreamPipeWriterOptions(leaveOpen: true));
            MessageFraming.WriteMessage(_requestWriter, message, _method.RequestMarshaller, _channel.Options.MaxSendMessageSize);
            await _requestWriter.FlushAsync(token).ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            Finish(e.Status, Metadata.Empty);
            ThrowIfFailed();
            throw;
        }
        // ObjectDisposedException is an InvalidOperationException, but here it means the request
        // stream was torn down under the write (the call ended), not that the caller misused it.
        catch (Exception e) when (e is not InvalidOperationException or ObjectDisposedException)
        {
            await AwaitServerStatusAsync(token).ConfigureAwait(false);
            Finish(StatusFromException(e, "Error writing the request"), Metadata.Empty);
            ThrowIfFailed();
            throw;
        }
        finally
        {
            if (locked) _writeLock.Release();
        }
    }

    /// <summary>
    /// A write also fails when the server has ended the call (its handler returned or threw) while we were still
    /// sending. The server's status is then on its way in the response, and it, not the broken write, says what
    /// happened: unless the call was cancelled here, give whoever reads the response a moment to receive it.
    /// </summary>
    private Task AwaitServerStatusAsync(CancellationToken writeToken) =>
        _status is not null || writeToken.IsCancellationRequested
            ? Task.CompletedTask
            : Task.WhenAny(_finished.Task, Task.Delay(WriteFailureGrace, CancellationToken.None));

    public async Task CompleteAsync()
    {
        var content = _requestContent ?? throw new InvalidOperationException("This call has no request stream.");
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_requestCompleted) return;
            _requestCompleted = true;
            content.Complete();
        }
        catch (Exception e) when (e is not RpcException)
        {
            Finish(StatusFromException(e, "Error completing the request"), Metadata.Empty);
            ThrowIfFailed();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public Status GetStatus() => _status ?? throw new InvalidOperationException("The call is still in progress.");

    public Metadata GetTrailers() =>
        _status is null ? throw new InvalidOperationException("The call is still in progress.") : _trailers;

    /// <summary>Records the call's status (first one wins). A non-OK status aborts the HTTP/2 stream.</summary>
    private void Finish(Status status, Metadata trailers)
    {
        lock (_statusLock)
        {
            if (_status is not null) return;
            _status = status;
            _trailers = trailers;
        }
        _finished.TrySetResult();
        if (status.StatusCode == StatusCode.OK)
        {
            _headers.TrySetResult(Metadata.Empty);
            return;
        }
        _headers.TrySetException(new RpcException(status, trailers));
        _headers.Task.Exception?.Handle(_ => true); // observed: nobody has to await the headers
        _requestContent?.Abort();
        try
        {
            _callCts.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
        _response?.Dispose();
    }

    private void ThrowIfFailed()
    {
        if (_status is { StatusCode: not StatusCode.OK } status) throw new RpcException(status, _trailers, status.ToString());
    }

    private void ThrowIfFinished()
    {
        ThrowIfFailed();
        if (_status is not null) throw new InvalidOperationException("The call is already complete; no more messages can be written.");
    }

    private Status CancellationStatus() => _deadlineCts.IsCancellationRequested
        ? GrpcWire.DeadlineStatus
        : new Status(StatusCode.Cancelled, "Call canceled by the client.");

    private Status StatusFromException(Exception e, string what)
    {
        if (_callCts.IsCancellationRequested) return CancellationStatus() with { DebugException = e };
        var protocol = e as HttpProtocolException ?? e.InnerException as HttpProtocolException;
        if (protocol is not null)
        {
            // RST_STREAM codes, mapped as PROTOCOL-HTTP2.md says.
            var code = protocol.ErrorCode switch
            {
                0x7 => StatusCode.Unavailable,        // REFUSED_STREAM
                0x8 => StatusCode.Cancelled,          // CANCEL
                0xb => StatusCode.ResourceExhausted,  // ENHANCE_YOUR_CALM
                0xc => StatusCode.PermissionDenied,   // INADEQUATE_SECURITY
                _ => StatusCode.Internal,
            };
            return new Status(code, $"{what}: HTTP/2 error 0x{protocol.ErrorCode:x}.", e);
        }
        return e switch
        {
            HttpRequestException or IOException => new Status(StatusCode.Unavailable, $"{what}: {e.Message}", e),
            _ => new Status(StatusCode.Unknown, $"{what}: {e.GetType().Name}.", e),
        };
    }

    private static Status ParseStatus(HttpHeaders headers)
    {
        var raw = headers.TryGetValues(GrpcWire.StatusHeader, out var codes) ? codes.FirstOrDefault() : null;
        var message = headers.TryGetValues(GrpcWire.MessageHeader, out var messages) ? GrpcWire.PercentDecode(messages.FirstOrDefault() ?? "") : "";
        if (!int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var code))
        {
            return new Status(StatusCode.Unknown, $"Invalid grpc-status '{raw}'. {message}".TrimEnd());
        }
        return new Status(Enum.IsDefined((StatusCode)code) ? (StatusCode)code : StatusCode.Unknown, message);
    }

    public void Dispose()
    {
        Finish(new Status(StatusCode.Cancelled, "The call was disposed before it finished."), Metadata.Empty);
        _requestContent?.Abort();
        _response?.Dispose();
        _deadlineCts.Dispose();
        _callCts.Dispose();
    }
}
