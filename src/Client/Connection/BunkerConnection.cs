using System.Net.Http;
using System.Net.Security;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;

namespace Bunker.Client.Connection;

/// <summary>One channel to a bunkerd, its service clients, and the call options that carry the token.</summary>
public sealed class BunkerConnection : IDisposable
{
    /// <summary>Deadline of a unary call when the caller gives none: long enough for a busy server, short enough that a hung one is noticed.</summary>
    public static readonly TimeSpan DefaultUnaryTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Largest response accepted; matches what the server may send (chunk batches, manifests).</summary>
    public const int MaxReceiveMessageSize = 32 * 1024 * 1024;

    private readonly GrpcChannel _channel;
    private readonly string _authorization;

    private BunkerConnection(ConnectionSettings settings, GrpcChannel channel)
    {
        Settings = settings;
        _channel = channel;
        _authorization = "Bearer " + settings.Token;
        Repository = new Repository.RepositoryClient(channel);
        Admin = new Admin.AdminClient(channel);
        Maintenance = new Maintenance.MaintenanceClient(channel);
    }

    public ConnectionSettings Settings { get; }
    public Repository.RepositoryClient Repository { get; }
    public Admin.AdminClient Admin { get; }
    public Maintenance.MaintenanceClient Maintenance { get; }

    /// <summary>
    /// Opens a channel (no network traffic until the first call). For https with a CA file, the server's
    /// certificate must chain to that CA; throws <see cref="UsageException"/> when the file cannot be read.
    /// </summary>
    public static BunkerConnection Open(ConnectionSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new BunkerConnection(settings, CreateChannel(settings));
    }

    /// <summary>
    /// A further channel to the same server with the same settings, on its own HTTP/2 connection(s): for
    /// spreading many parallel streams (a restore's ChunkFetcher). The caller disposes it.
    /// </summary>
    public GrpcChannel OpenChannel() => CreateChannel(Settings);

    private static GrpcChannel CreateChannel(ConnectionSettings settings)
    {
        var handler = new SocketsHttpHandler
        {
            // As GrpcChannel's own default handler: several HTTP/2 connections, kept alive while calls run.
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            ConnectTimeout = TimeSpan.FromSeconds(15),
        };
        // A CA file means nothing to plain http; BUNKER_CA_CERT may be set for other servers, so it is not an error.
        if (settings.CaCertificateFile is { } caFile && settings.Server.Scheme == Uri.UriSchemeHttps)
        {
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = CaCertificateTrust.Load(caFile).Validate,
            };
        }
        return GrpcChannel.ForAddress(settings.Server, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpHandler = true,
            MaxReceiveMessageSize = MaxReceiveMessageSize,
        });
    }

    /// <summary>
    /// Options for one call: the bearer token, a deadline (<see cref="DefaultUnaryTimeout"/> unless given;
    /// <see cref="Timeout.InfiniteTimeSpan"/> for none, as a long stream wants) and the cancellation token.
    /// </summary>
    public CallOptions Call(CancellationToken ct, TimeSpan? timeout = null)
    {
        var headers = new Metadata { { "authorization", _authorization } };
        var span = timeout ?? DefaultUnaryTimeout;
        DateTime? deadline = span == Timeout.InfiniteTimeSpan ? null : DateTime.UtcNow + span;
        return new CallOptions(headers, deadline, ct);
    }

    public void Dispose() => _channel.Dispose();
}
