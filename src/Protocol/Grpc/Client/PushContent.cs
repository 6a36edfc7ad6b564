using System.Net;

namespace Bunker.Protocol.Grpc;

/// <summary>
/// A request body the caller writes into while the request runs: HttpClient hands over its HTTP/2 request stream,
/// whose writes wait on flow control, so a fast writer is pushed back instead of buffered. Nothing is held here.
/// </summary>
internal sealed class PushContent : HttpContent
{
    private readonly TaskCompletionSource<Stream> _stream = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public PushContent() => Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(GrpcWire.ContentType);

    public Task<Stream> GetStreamAsync(CancellationToken cancellationToken) => _stream.Task.WaitAsync(cancellationToken);

    /// <summary>Ends the body normally (END_STREAM): the request is half-closed.</summary>
    public void Complete() => _done.TrySetResult();

    /// <summary>Ends the body with an error, which resets the HTTP/2 stream.</summary>
    public void Abort()
    {
        _stream.TrySetCanceled();
        _done.TrySetCanceled();
    }

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        _stream.TrySetResult(stream);
        await _done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
