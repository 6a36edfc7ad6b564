namespace Bunker.Protocol.Grpc;

/// <summary>Base of the service clients, as grpc-dotnet's ClientBase: a call invoker and option helpers.</summary>
public abstract class ClientBase
{
    protected ClientBase(CallInvoker callInvoker) => CallInvoker = callInvoker ?? throw new ArgumentNullException(nameof(callInvoker));

    protected ClientBase(GrpcChannel channel) : this(channel.CreateCallInvoker()) { }

    public CallInvoker CallInvoker { get; }

    protected static CallOptions Options(Metadata? headers, DateTime? deadline, CancellationToken cancellationToken) =>
        new(headers, deadline, cancellationToken);
}
