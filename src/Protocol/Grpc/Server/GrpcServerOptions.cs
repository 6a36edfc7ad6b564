namespace Bunker.Protocol.Grpc;

public sealed class GrpcServerOptions
{
    /// <summary>Largest request message accepted (bytes); larger ones end the call with RESOURCE_EXHAUSTED. Null: no limit.</summary>
    public int? MaxReceiveMessageSize { get; set; } = MessageFraming.DefaultMaxReceiveMessageSize;

    /// <summary>Largest response message sent (bytes); larger ones end the call with RESOURCE_EXHAUSTED. Null: no limit.</summary>
    public int? MaxSendMessageSize { get; set; }

    /// <summary>
    /// Run in order before every handler. A hook may read headers, fill <see cref="ServerCallContext.UserState"/>,
    /// or refuse the call by throwing <see cref="RpcException"/> (e.g. UNAUTHENTICATED), whose status is sent.
    /// </summary>
    public IList<Func<ServerCallContext, Task>> PreCallHooks { get; } = new List<Func<ServerCallContext, Task>>();
}
