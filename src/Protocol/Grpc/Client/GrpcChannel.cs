using System.Net;

namespace Bunker.Protocol.Grpc;

/// <summary>
/// A connection pool to one server: HTTP/2 over HttpClient, with prior knowledge (h2c) for http:// and TLS with
/// ALPN for https://. Create one per server and share it; calls are cheap.
/// </summary>
public sealed class GrpcChannel : IDisposable
{
    private readonly CallInvoker _invoker;

    private GrpcChannel(Uri address, GrpcChannelOptions options)
    {
        if (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException($"Address '{address}' must be http:// or https://.", nameof(address));
        }
        Address = address;
        Options = options;
        var handler = options.HttpHandler ?? new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
        };
        HttpClient = new HttpClient(handler, options.HttpHandler is null || options.DisposeHttpHandler)
        {
            Timeout = Timeout.InfiniteTimeSpan,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        _invoker = new HttpCallInvoker(this);
    }

    public static GrpcChannel ForAddress(string address, GrpcChannelOptions? options = null) => ForAddress(new Uri(address), options);

    public static GrpcChannel ForAddress(Uri address, GrpcChannelOptions? options = null) =>
        new(address ?? throw new ArgumentNullException(nameof(address)), options ?? new GrpcChannelOptions());

    public Uri Address { get; }
    internal GrpcChannelOptions Options { get; }
    internal HttpClient HttpClient { get; }

    public CallInvoker CreateCallInvoker() => _invoker;

    public void Dispose() => HttpClient.Dispose();
}
