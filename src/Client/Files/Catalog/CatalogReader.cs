using Bunker.Protocol.V1;
using Google.Protobuf;

namespace Bunker.Client.Files.Catalog;

/// <summary>
/// Reads a catalog archive from any stream. Everything in it comes from the server and so is checked:
/// the header's version, each message's size, each path's validity, and catalog order.
/// </summary>
public sealed class CatalogReader
{
    /// <summary>Catalog format this reader understands.</summary>
    public const uint Version = 1;

    /// <summary>Largest entry accepted: far above any real one (xattrs are at most 64 KiB each on Linux), far below memory trouble.</summary>
    public const int MaxMessageSize = 4 << 20;

    private readonly Stream _input;
    private byte[] _buffer = new byte[4096];
    private byte[]? _previous;

    private CatalogReader(Stream input) => _input = input;

    /// <summary>The catalog's header, read by <see cref="OpenAsync"/>.</summary>
    public CatalogHeader Header { get; private set; } = null!;

    /// <summary>Entries read so far.</summary>
    public long Count { get; private set; }

    /// <summary>Reads the header.</summary>
    /// <exception cref="InvalidDataException">The catalog is empty, truncated, malformed or of an unknown version.</exception>
    public static async ValueTask<CatalogReader> OpenAsync(Stream input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var reader = new CatalogReader(input);
        var bytes = await reader.ReadMessageAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidDataException("the catalog is empty: it has no header");
        CatalogHeader header;
        try
        {
            header = CatalogHeader.Parser.ParseFrom(bytes.Span);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"the catalog header is malformed: {e.Message}", e);
        }
        if (header.Version != Version)
            throw new InvalidDataException($"the catalog is format version {header.Version}; this client reads version {Version}");
        reader.Header = header;
        return reader;
    }

    /// <summary>The next entry, or null at the end of the catalog.</summary>
    /// <exception cref="InvalidDataException">The entry is truncated, malformed, has an unsafe path, or is out of order.</exception>
    public async ValueTask<CatalogEntry?> ReadAsync(CancellationToken cancellationToken = default)
    {
        var bytes = await ReadMessageAsync(cancellationToken).ConfigureAwait(false);
        if (bytes is null) return null;
        CatalogEntry entry;
        try
        {
            entry = CatalogEntry.Parser.ParseFrom(bytes.Value.Span);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"catalog entry {Count + 1} is malformed: {e.Message}", e);
        }
        var path = entry.Path.Span;
        if (!CatalogPath.TryValidate(path, out var reason))
            throw new InvalidDataException($"catalog entry '{CatalogPath.Display(path)}' is refused: {reason}");
        if (_previous is not null && CatalogPath.Compare(_previous, path) >= 0)
            throw new InvalidDataException(
                $"catalog entry '{CatalogPath.Display(path)}' is out of order: it comes after '{CatalogPath.Display(_previous)}'");
        if (entry.Type == EntryType.Unspecified || !Enum.IsDefined(entry.Type))
            throw new InvalidDataException($"catalog entry '{CatalogPath.Display(path)}' has an unknown type {(int)entry.Type}");
        _previous = path.ToArray();
        Count++;
        return entry;
    }

    /// <summary>One length-delimited message's bytes (valid until the next read), or null at a clean end.</summary>
    private async ValueTask<ReadOnlyMemory<byte>?> ReadMessageAsync(CancellationToken cancellationToken)
    {
        // The length is a varint of at most 5 bytes for a 32-bit size; read it a byte at a time
        // (the streams underneath buffer, so this costs no system call per byte).
        uint length = 0;
        for (int shift = 0; ; shift += 7)
        {
            int read = await _input.ReadAsync(_buffer.AsMemory(0, 1), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                if (shift == 0) return null;
                throw new InvalidDataException($"the catalog is truncated inside a length prefix after {Count} entries");
            }
            byte b = _buffer[0];
            if (shift == 28 && b > 0x0f)
                throw new InvalidDataException($"the catalog has a malformed length prefix after {Count} entries");
            length |= (uint)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) break;
        }
        if (length > MaxMessageSize)
            throw new InvalidDataException($"catalog message {Count + 1} claims {length} bytes; at most {MaxMessageSize} are accepted");
        if (_buffer.Length < length)
            _buffer = new byte[Math.Max(length, (uint)_buffer.Length * 2)];
        var target = _buffer.AsMemory(0, (int)length);
        try
        {
            await _input.ReadExactlyAsync(target, cancellationToken).ConfigureAwait(false);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"the catalog is truncated inside message {Count + 1}", e);
        }
        return target;
    }
}
