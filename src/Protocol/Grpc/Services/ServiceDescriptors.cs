using Google.Protobuf;

namespace Bunker.Protocol.Grpc;

/// <summary>What the hand-written service classes share: a method descriptor made from its two message parsers, and UNIMPLEMENTED.</summary>
internal static class ServiceDescriptors
{
    public static Method<TRequest, TResponse> Create<TRequest, TResponse>(MethodType type, string serviceName, string name,
        MessageParser<TRequest> request, MessageParser<TResponse> response)
        where TRequest : IMessage<TRequest> where TResponse : IMessage<TResponse> =>
        new(type, serviceName, name, Marshallers.ForProtobuf(request), Marshallers.ForProtobuf(response));

    /// <summary>What a service base answers for a method its subclass does not override.</summary>
    public static RpcException Unimplemented() => new(new Status(StatusCode.Unimplemented, "not implemented by this server"));
}
