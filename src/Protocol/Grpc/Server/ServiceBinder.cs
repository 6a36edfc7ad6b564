namespace Bunker.Protocol.Grpc;

public delegate Task<TResponse> UnaryServerMethod<TRequest, TResponse>(TRequest request, ServerCallContext context);

public delegate Task<TResponse> ClientStreamingServerMethod<TRequest, TResponse>(
    IAsyncStreamReader<TRequest> requestStream, ServerCallContext context);

public delegate Task ServerStreamingServerMethod<TRequest, TResponse>(
    TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context);

public delegate Task DuplexStreamingServerMethod<TRequest, TResponse>(
    IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context);

/// <summary>A service that can list its methods and their handlers (grpc-dotnet's generated BindService, by hand).</summary>
public interface IBindableService
{
    void BindService(ServiceBinder binder);
}

/// <summary>Collects a service's methods and their handlers, one overload per call type.</summary>
public sealed class ServiceBinder
{
    private readonly List<ServerMethodHandler> _handlers = [];

    internal IReadOnlyList<ServerMethodHandler> Handlers => _handlers;

    public void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse> handler)
    {
        Check(method, MethodType.Unary, handler);
        _handlers.Add(new ServerMethodHandler<TRequest, TResponse>(method, async call =>
        {
            var request = await call.ReadSingleRequestAsync(method.RequestMarshaller).ConfigureAwait(false);
            var response = await handler(request, call.Context).ConfigureAwait(false);
            await call.WriteMessageAsync(response, method.ResponseMarshaller, call.Context.CancellationToken).ConfigureAwait(false);
        }));
    }

    public void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse> handler)
    {
        Check(method, MethodType.ClientStreaming, handler);
        _handlers.Add(new ServerMethodHandler<TRequest, TResponse>(method, async call =>
        {
            var response = await handler(new RequestStreamReader<TRequest>(call, method.RequestMarshaller), call.Context).ConfigureAwait(false);
            await call.WriteMessageAsync(response, method.ResponseMarshaller, call.Context.CancellationToken).ConfigureAwait(false);
        }));
    }

    public void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse> handler)
    {
        Check(method, MethodType.ServerStreaming, handler);
        _handlers.Add(new ServerMethodHandler<TRequest, TResponse>(method, async call =>
        {
            var request = await call.ReadSingleRequestAsync(method.RequestMarshaller).ConfigureAwait(false);
            await handler(request, new ResponseStreamWriter<TResponse>(call, method.ResponseMarshaller), call.Context).ConfigureAwait(false);
        }));
    }

    public void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse> handler)
    {
        Check(method, MethodType.DuplexStreaming, handler);
        _handlers.Add(new ServerMethodHandler<TRequest, TResponse>(method, call =>
            handler(new RequestStreamReader<TRequest>(call, method.RequestMarshaller),
                new ResponseStreamWriter<TResponse>(call, method.ResponseMarshaller), call.Context)));
    }

    private void Check<TRequest, TResponse>(Method<TRequest, TResponse> method, MethodType expected, Delegate handler)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(handler);
        if (method.Type != expected)
        {
            throw new ArgumentException($"{method.FullName} is {method.Type} but the handler is for {expected}.", nameof(method));
        }
        if (_handlers.Any(h => h.FullName == method.FullName))
        {
            throw new ArgumentException($"{method.FullName} is bound twice.", nameof(method));
        }
    }

    private sealed class RequestStreamReader<T>(ServerCall call, Marshaller<T> marshaller) : IAsyncStreamReader<T>
    {
        private bool _ended;

        public T Current { get; private set; } = default!;

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            if (_ended) return false;
            using var linked = GrpcWire.Link(cancellationToken, call.Context.CancellationToken, out var token);
            var (hasMessage, message) = await call.ReadMessageAsync(marshaller, token).ConfigureAwait(false);
            if (!hasMessage)
            {
                _ended = true;
                Current = default!;
                return false;
            }
            Current = message!;
            return true;
        }
    }

    private sealed class ResponseStreamWriter<T>(ServerCall call, Marshaller<T> marshaller) : IServerStreamWriter<T>
    {
        public Task WriteAsync(T message) => WriteAsync(message, CancellationToken.None);

        public async Task WriteAsync(T message, CancellationToken cancellationToken)
        {
            using var linked = GrpcWire.Link(cancellationToken, call.Context.CancellationToken, out var token);
            await call.WriteMessageAsync(message, marshaller, token).ConfigureAwait(false);
        }
    }
}
