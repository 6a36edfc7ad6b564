using System.Buffers;
using Bunker.Protocol.V1;
using Google.Protobuf;

namespace Bunker.Client.Files.Catalog;

/// <summary>
/// Writes a catalog archive's bytes: the header, then each entry as a length-delimited message. It
/// refuses entries out of catalog order, because restores, incrementals and diffs all rely on it.
/// </summary>
public sealed class CatalogWriter(Stream output, CatalogHeader header)
{
    private readonly Stream _output = output ?? throw new ArgumentNullException(nameof(output));
    private readonly CatalogHeader _header = header ?? throw new ArgumentNullException(nameof(header));
    private byte[]? _previous;
    private bool _headerWritten;

    /// <summary>Entries written so far.</summary>
    public long Count { get; private set; }

    /// <exception cref="InvalidOperationException">The entry's path is invalid, or does not sort after the previous one.</exception>
    public async ValueTask WriteAsync(CatalogEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var path = entry.Path.Span;
        if (!CatalogPath.TryValidate(path, out var reason))
            throw new InvalidOperationException($"catalog entry '{CatalogPath.Display(path)}': {reason}");
        if (_previous is not null && CatalogPath.Compare(_previous, path) >= 0)
            throw new InvalidOperationException(
                $"catalog entry '{CatalogPath.Display(path)}' does not sort after '{CatalogPath.Display(_previous)}'");
        _previous = path.ToArray();
        await WriteHeaderOnceAsync(cancellationToken).ConfigureAwait(false);
        await WriteDelimitedAsync(entry, cancellationToken).ConfigureAwait(false);
        Count++;
    }

    /// <summary>Writes the header if no entry did, and flushes. The stream stays open.</summary>
    public async ValueTask CompleteAsync(CancellationToken cancellationToken = default)
    {
        await WriteHeaderOnceAsync(cancellationToken).ConfigureAwait(false);
        await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private ValueTask WriteHeaderOnceAsync(CancellationToken cancellationToken)
    {
        if (_headerWritten) return default;
        _headerWritten = true;
        return WriteDelimitedAsync(_header, cancellationToken);
    }

    private async ValueTask WriteDelimitedAsync(IMessage message, CancellationToken cancellationToken)
    {
        int size = message.CalculateSize();
        int total = CodedOutputStream.ComputeLengthSize(size) + size;
        var buffer = ArrayPool<byte>.Shared.Rent(total);
        try
        {
            var coded = new CodedOutputStream(buffer);
            coded.WriteLength(size);
            message.WriteTo(coded);
            coded.Flush();
            await _output.WriteAsync(buffer.AsMemory(0, total), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
