using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;

namespace Bunker.Protocol.Grpc;

/// <summary>
/// Length-prefixed messages: 1 byte compressed flag, 4 bytes big-endian length, then the payload.
/// Reads parse straight from the pipe's buffers; writes serialize straight into the pipe's buffers.
/// </summary>
internal static class MessageFraming
{
    public const int HeaderSize = 5;
    public const int DefaultMaxReceiveMessageSize = 4 * 1024 * 1024;

    /// <summary>
    /// Reads the next message, or returns false at a clean end of stream. Throws <see cref="RpcException"/>:
    /// RESOURCE_EXHAUSTED for a message over <paramref name="maxSize"/>, INTERNAL for a truncated frame,
    /// a bad flag or a payload that does not parse, UNIMPLEMENTED for a compression we do not have.
    /// </summary>
    public static async ValueTask<(bool HasMessage, T? Message)> ReadMessageAsync<T>(
        PipeReader reader, Marshaller<T> marshaller, int? maxSize, string? encoding, string what, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (buffer.Length >= HeaderSize)
            {
                var length = ReadHeader(buffer, maxSize, encoding);
                if (buffer.Length - HeaderSize >= length)
                {
                    var payload = buffer.Slice(HeaderSize, length);
                    T message;
                    try
                    {
                        message = marshaller.ContextualDeserializer(new SequenceDeserializationContext(payload));
                    }
                    catch (Exception e)
                    {
                        reader.AdvanceTo(payload.End);
                        throw new RpcException(new Status(StatusCode.Internal, $"Failed to deserialize the {what} message.", e));
                    }
                    reader.AdvanceTo(payload.End);
                    return (true, message);
                }
            }
            if (result.IsCompleted)
            {
                var leftover = buffer.Length;
                reader.AdvanceTo(buffer.End);
                if (leftover == 0) return (false, default);
                throw new RpcException(new Status(StatusCode.Internal,
                    $"The {what} stream ended inside a message (truncated message: {leftover} bytes of a frame)."));
            }
            if (result.IsCanceled) throw new OperationCanceledException(cancellationToken);
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static long ReadHeader(ReadOnlySequence<byte> buffer, int? maxSize, string? encoding)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        buffer.Slice(0, HeaderSize).CopyTo(header);
        var length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        switch (header[0])
        {
            case 0:
                break;
            case 1 when encoding is null || encoding == GrpcWire.IdentityEncoding:
                throw new RpcException(new Status(StatusCode.Internal,
                    "A message has the compressed flag set but no grpc-encoding was negotiated."));
            case 1:
                throw new RpcException(new Status(StatusCode.Unimplemented,
                    $"Message compression '{encoding}' is not supported; supported: identity."));
            default:
                throw new RpcException(new Status(StatusCode.Internal, $"Invalid message frame flag {header[0]}."));
        }
        if (maxSize is { } max && length > (uint)max)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted,
                $"Received message exceeds the maximum configured message size ({length} > {max} bytes)."));
        }
        if (length > int.MaxValue)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, $"Received message of {length} bytes is too large."));
        }
        return length;
    }

    /// <summary>Serializes one framed message into <paramref name="writer"/> (not flushed).</summary>
    public static void WriteMessage<T>(IBufferWriter<byte> writer, T message, Marshaller<T> marshaller, int? maxSize)
    {
        var context = new FrameSerializationContext(writer, maxSize);
        marshaller.ContextualSerializer(message, context);
        context.EnsureCompleted();
    }

    internal static void WriteHeader(IBufferWriter<byte> writer, int length)
    {
        var span = writer.GetSpan(HeaderSize);
        span[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)length);
        writer.Advance(HeaderSize);
    }

    private sealed class SequenceDeserializationContext(ReadOnlySequence<byte> payload) : DeserializationContext
    {
        public override int PayloadLength => (int)payload.Length;
        public override ReadOnlySequence<byte> PayloadAsReadOnlySequence() => payload;
    }

    private sealed class FrameSerializationContext(IBufferWriter<byte> target, int? maxSize) : SerializationContext, IBufferWriter<byte>
    {
        private int _expected = -1;
        private long _written;
        private ArrayBufferWriter<byte>? _buffer;
        private bool _completed;

        public override void Complete(byte[] payload)
        {
            CheckNotCompleted();
            CheckSize(payload.Length);
            WriteHeader(target, payload.Length);
            target.Write(payload);
            _completed = true;
        }

        public override void SetPayloadLength(int payloadLength)
        {
            CheckNotCompleted();
            if (_expected >= 0 || _buffer is not null) throw new InvalidOperationException("The payload length is already set.");
            CheckSize(payloadLength);
            _expected = payloadLength;
            WriteHeader(target, payloadLength);
        }

        public override IBufferWriter<byte> GetBufferWriter()
        {
            CheckNotCompleted();
            if (_expected >= 0) return this;
            return _buffer ??= new ArrayBufferWriter<byte>();
        }

        public override void Complete()
        {
            CheckNotCompleted();
            if (_buffer is not null)
            {
                CheckSize(_buffer.WrittenCount);
                WriteHeader(target, _buffer.WrittenCount);
                target.Write(_buffer.WrittenSpan);
            }
            else if (_written != _expected)
            {
                throw new InvalidOperationException($"The serializer announced {_expected} bytes but wrote {_written}.");
            }
            _completed = true;
        }

        public void EnsureCompleted()
        {
            if (!_completed) throw new InvalidOperationException("The serializer did not complete the payload.");
        }

        void IBufferWriter<byte>.Advance(int count)
        {
            _written += count;
            target.Advance(count);
        }

        Memory<byte> IBufferWriter<byte>.GetMemory(int sizeHint) => target.GetMemory(sizeHint);
        Span<byte> IBufferWriter<byte>.GetSpan(int sizeHint) => target.GetSpan(sizeHint);

        private void CheckSize(int length)
        {
            if (maxSize is { } max && length > max)
            {
                throw new RpcException(new Status(StatusCode.ResourceExhausted,
                    $"Sending message exceeds the maximum configured message size ({length} > {max} bytes)."));
            }
        }

        private void CheckNotCompleted()
        {
            if (_completed) throw new InvalidOperationException("The payload is already complete.");
        }
    }
}
