using System.Buffers;
using Google.Protobuf;

namespace Bunker.Protocol.Grpc;

public enum MethodType
{
    Unary,
    ClientStreaming,
    ServerStreaming,
    DuplexStreaming,
}

/// <summary>Given to a serializer: tell it the payload length, then write into the buffer writer (or hand over one array).</summary>
public abstract class SerializationContext
{
    /// <summary>Writes the whole payload at once.</summary>
    public abstract void Complete(byte[] payload);

    /// <summary>Announces the payload length before writing into <see cref="GetBufferWriter"/>.</summary>
    public abstract void SetPayloadLength(int payloadLength);

    public abstract IBufferWriter<byte> GetBufferWriter();

    /// <summary>Ends a payload written through <see cref="GetBufferWriter"/>.</summary>
    public abstract void Complete();
}

/// <summary>Given to a deserializer: one received payload, valid only during the call.</summary>
public abstract class DeserializationContext
{
    public abstract int PayloadLength { get; }

    public abstract ReadOnlySequence<byte> PayloadAsReadOnlySequence();

    public virtual byte[] PayloadAsNewBuffer() => PayloadAsReadOnlySequence().ToArray();
}

/// <summary>Turns messages into payload bytes and back.</summary>
public sealed class Marshaller<T>
{
    public Marshaller(Action<T, SerializationContext> serializer, Func<DeserializationContext, T> deserializer)
    {
        ContextualSerializer = serializer ?? throw new ArgumentNullException(nameof(serializer));
        ContextualDeserializer = deserializer ?? throw new ArgumentNullException(nameof(deserializer));
    }

    public Marshaller(Func<T, byte[]> serializer, Func<byte[], T> deserializer)
        : this((value, ctx) => ctx.Complete(serializer(value)), ctx => deserializer(ctx.PayloadAsNewBuffer()))
    {
    }

    public Action<T, SerializationContext> ContextualSerializer { get; }
    public Func<DeserializationContext, T> ContextualDeserializer { get; }
}

public static class Marshallers
{
    public static Marshaller<T> Create<T>(Func<T, byte[]> serializer, Func<byte[], T> deserializer) => new(serializer, deserializer);

    public static Marshaller<T> Create<T>(Action<T, SerializationContext> serializer, Func<DeserializationContext, T> deserializer)
        => new(serializer, deserializer);

    /// <summary>A protobuf marshaller: writes straight into the frame buffer and parses from the received sequence without copying.</summary>
    public static Marshaller<T> ForProtobuf<T>(MessageParser<T> parser) where T : IMessage<T>
    {
        ArgumentNullException.ThrowIfNull(parser);
        return new Marshaller<T>(
            (message, ctx) =>
            {
                ctx.SetPayloadLength(message.CalculateSize());
                message.WriteTo(ctx.GetBufferWriter());
                ctx.Complete();
            },
            ctx => parser.ParseFrom(ctx.PayloadAsReadOnlySequence()));
    }
}

/// <summary>One RPC method: its kind, its service and name, and how its messages travel.</summary>
public sealed class Method<TRequest, TResponse>
{
    public Method(MethodType type, string serviceName, string name,
        Marshaller<TRequest> requestMarshaller, Marshaller<TResponse> responseMarshaller)
    {
        ArgumentException.ThrowIfNullOrEmpty(serviceName);
        ArgumentException.ThrowIfNullOrEmpty(name);
        Type = type;
        ServiceName = serviceName;
        Name = name;
        RequestMarshaller = requestMarshaller ?? throw new ArgumentNullException(nameof(requestMarshaller));
        ResponseMarshaller = responseMarshaller ?? throw new ArgumentNullException(nameof(responseMarshaller));
        FullName = "/" + serviceName + "/" + name;
    }

    public MethodType Type { get; }
    public string ServiceName { get; }
    public string Name { get; }
    /// <summary>The HTTP/2 path: <c>/package.Service/Method</c>.</summary>
    public string FullName { get; }
    public Marshaller<TRequest> RequestMarshaller { get; }
    public Marshaller<TResponse> ResponseMarshaller { get; }
}

/// <summary>Reads a stream of messages: <c>while (await reader.MoveNext(ct)) use(reader.Current);</c></summary>
public interface IAsyncStreamReader<out T>
{
    T Current { get; }

    Task<bool> MoveNext(CancellationToken cancellationToken);
}

public interface IAsyncStreamWriter<in T>
{
    Task WriteAsync(T message);

    Task WriteAsync(T message, CancellationToken cancellationToken) => WriteAsync(message);
}

public interface IServerStreamWriter<in T> : IAsyncStreamWriter<T>;

public interface IClientStreamWriter<in T> : IAsyncStreamWriter<T>
{
    /// <summary>Half-closes the request stream: no more messages will follow.</summary>
    Task CompleteAsync();
}

public static class AsyncStreamReaderExtensions
{
    public static async IAsyncEnumerable<T> ReadAllAsync<T>(this IAsyncStreamReader<T> reader,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (await reader.MoveNext(cancellationToken).ConfigureAwait(false)) yield return reader.Current;
    }
}
