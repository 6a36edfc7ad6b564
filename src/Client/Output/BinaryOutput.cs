using System.Text;

namespace Bunker.Client.Output;

/// <summary>Raw bytes to where a command's text goes: file contents (dump) must not pass through a text encoder.</summary>
internal static class BinaryOutput
{
    /// <summary>
    /// The process's stdout as bytes when <paramref name="writer"/> is the real console (redirected or not);
    /// a StreamWriter's own stream; otherwise bytes mapped one to one onto chars (Latin-1), which is lossless
    /// for a writer that only collects text. Text already written is flushed first, so the order holds.
    /// The caller flushes the stream and does not dispose it.
    /// </summary>
    public static Stream Open(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Flush();
        if (ReferenceEquals(writer, Console.Out)) return Console.OpenStandardOutput();
        if (writer is StreamWriter { BaseStream: { CanWrite: true } stream }) return stream;
        return new Latin1Stream(writer);
    }

    private sealed class Latin1Stream(TextWriter writer) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer) => writer.Write(Encoding.Latin1.GetString(buffer));

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer.AsSpan(offset, count));
            return Task.CompletedTask;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override void Flush() => writer.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
