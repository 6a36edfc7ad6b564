using Bunker.Protocol.Grpc;
using Bunker.Protocol.Tests.Echo;
using Google.Protobuf;

namespace Bunker.Protocol.Tests;

/// <summary>Method descriptors for bunker.test.Echo, as grpc-dotnet's generator would write them.</summary>
public static class EchoMethods
{
    public const string ServiceName = "bunker.test.Echo";
    private static readonly Marshaller<EchoRequest> Request = Marshallers.ForProtobuf(EchoRequest.Parser);
    private static readonly Marshaller<EchoReply> Reply = Marshallers.ForProtobuf(EchoReply.Parser);

    public static readonly Method<EchoRequest, EchoReply> Unary = new(MethodType.Unary, ServiceName, "Unary", Request, Reply);
    public static readonly Method<EchoRequest, EchoReply> ClientStream = new(MethodType.ClientStreaming, ServiceName, "ClientStream", Request, Reply);
    public static readonly Method<EchoRequest, EchoReply> ServerStream = new(MethodType.ServerStreaming, ServiceName, "ServerStream", Request, Reply);
    public static readonly Method<EchoRequest, EchoReply> Duplex = new(MethodType.DuplexStreaming, ServiceName, "Duplex", Request, Reply);
}

/// <summary>The test service. Metadata whose key starts with "x-echo" comes back as response headers and trailers.</summary>
public sealed class EchoService : IBindableService
{
    /// <summary>Completed with true when a handler begins a delay (DelayMs): the call has reached the server.</summary>
    public TaskCompletionSource<bool> HandlerDelaying { get; private set; } = NewSignal();

    /// <summary>Completed with true when a handler saw its cancellation token fire.</summary>
    public TaskCompletionSource<bool> HandlerCancelled { get; private set; } = NewSignal();

    public void ResetSignals()
    {
        HandlerDelaying = NewSignal();
        HandlerCancelled = NewSignal();
    }

    private static TaskCompletionSource<bool> NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void BindService(ServiceBinder binder)
    {
        binder.AddMethod(EchoMethods.Unary, Unary);
        binder.AddMethod(EchoMethods.ClientStream, ClientStream);
        binder.AddMethod(EchoMethods.ServerStream, ServerStream);
        binder.AddMethod(EchoMethods.Duplex, Duplex);
    }

    private async Task<EchoReply> Unary(EchoRequest request, ServerCallContext context)
    {
        var echoed = new Metadata();
        foreach (var entry in context.RequestHeaders.Where(e => e.Key.StartsWith("x-echo", StringComparison.Ordinal)))
        {
            echoed.Add(entry);
            context.ResponseTrailers.Add(entry.IsBinary ? new Metadata.Entry(entry.Key.Replace("x-echo", "x-trailer"), entry.ValueBytes)
                : new Metadata.Entry(entry.Key.Replace("x-echo", "x-trailer"), entry.Value));
        }
        if (echoed.Count > 0) await context.WriteResponseHeadersAsync(echoed);
        await Act(request, context);
        return Reply(request, 0);
    }

    private async Task<EchoReply> ClientStream(IAsyncStreamReader<EchoRequest> requests, ServerCallContext context)
    {
        var parts = new List<string>();
        long bytes = 0;
        await foreach (var request in requests.ReadAllAsync(context.CancellationToken))
        {
            await Act(request, context);
            parts.Add(request.Message);
            bytes += request.Payload.Length;
        }
        return new EchoReply { Message = string.Join(",", parts), Index = parts.Count, Payload = ByteString.CopyFromUtf8(bytes.ToString(System.Globalization.CultureInfo.InvariantCulture)) };
    }

    private async Task ServerStream(EchoRequest request, IServerStreamWriter<EchoReply> responses, ServerCallContext context)
    {
        for (var i = 0; i < request.Count; i++)
        {
            await responses.WriteAsync(Reply(request, i));
        }
        await Act(request, context);
    }

    private async Task Duplex(IAsyncStreamReader<EchoRequest> requests, IServerStreamWriter<EchoReply> responses, ServerCallContext context)
    {
        var i = 0;
        while (await requests.MoveNext(context.CancellationToken))
        {
            await Act(requests.Current, context);
            await responses.WriteAsync(Reply(requests.Current, i++));
        }
    }

    private async Task Act(EchoRequest request, ServerCallContext context)
    {
        if (request.Message == "throw") throw new InvalidOperationException("secret internal detail at Bunker.Secret.Method()");
        if (request.DelayMs > 0)
        {
            HandlerDelaying.TrySetResult(true);
            try
            {
                await Task.Delay(request.DelayMs, context.CancellationToken);
            }
            catch (OperationCanceledException)
            {
                HandlerCancelled.TrySetResult(true);
                throw;
            }
        }
        if (request.StatusCode != 0)
        {
            var trailers = new Metadata { { "x-error-detail", "detail for " + (StatusCode)request.StatusCode }, { "x-error-bin", new byte[] { 0, 1, 2, 255 } } };
            throw new RpcException(new Status((StatusCode)request.StatusCode, request.Message), trailers);
        }
    }

    private static EchoReply Reply(EchoRequest request, int index) => new()
    {
        Message = request.Message,
        Index = index,
        Payload = request.ReplySize > 0 ? ByteString.CopyFrom(new byte[request.ReplySize]) : ByteString.Empty,
    };
}
