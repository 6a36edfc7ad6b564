using System.Buffers;
using Bunker.Client.Files.Catalog;

namespace Bunker.Client.Postgres.Tar;

/// <summary>
/// Reads a tar stream forward, member by member, through one pooled buffer whatever the member sizes: the stream
/// need not seek, and reads may return any number of bytes. PAX extended headers and GNU long names are folded
/// into the member they describe; global PAX headers are read past. Damage and truncation are
/// <see cref="TarFormatException"/>s naming the member.
/// </summary>
internal sealed class TarReader : IDisposable
{
    public const int BufferSize = 1 << 20;
    /// <summary>The largest PAX header or GNU long name accepted; a real one is a few hundred bytes (PATH_MAX is 4096).</summary>
    public const int MetadataLimit = 64 << 10;

    private const int Block = TarHeader.BlockSize;

    private readonly Stream _stream;
    private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
    private int _start;
    private int _end;
    // Where _buffer[_start] lies in the stream, for messages.
    private long _offset;
    private long _dataLeft;
    private long _dataSize;
    private int _paddingLeft;
    private byte[] _memberName = [];

    public TarReader(Stream stream) => _stream = stream;

    /// <summary>The current member's name for messages.</summary>
    public string Member => CatalogPath.Display(_memberName);

    /// <summary>
    /// The next member's header, once the rest of the current one is skipped; null at the end marker (two zero
    /// blocks). Whatever follows the end marker is not read.
    /// </summary>
    public async ValueTask<TarHeader?> NextAsync(CancellationToken ct)
    {
        await SkipRestAsync(ct);
        byte[]? longName = null;
        byte[]? paxPath = null;
        long? paxSize = null;
        bool describing = false;
        while (true)
        {
            long headerOffset = _offset;
            if (!await FillAsync(Block, ct))
                throw _end == _start ? MissingEndMarker() : TruncatedInside("a header");
            if (TarHeader.IsZeroBlock(Buffered(Block)))
            {
                Advance(Block);
                if (describing)
                    throw new TarFormatException($"tar stream: the extended header before offset {headerOffset} is followed by the end marker, not by its member");
                if (!await FillAsync(Block, ct)) throw TruncatedInside("the end marker (one zero block of two)");
                if (!TarHeader.IsZeroBlock(Buffered(Block)))
                    throw new TarFormatException($"tar stream: a lone zero block at offset {headerOffset} is followed by data; the archive is damaged");
                Advance(Block);
                return null;
            }
            var header = TarHeader.Parse(Buffered(Block), headerOffset);
            Advance(Block);
            _memberName = header.Name;
            switch (header.Type)
            {
                case TarHeader.PaxExtended:
                    await WithMetadataAsync(header, data => PaxRecords.Apply(data, headerOffset, ref paxPath, ref paxSize), ct);
                    describing = true;
                    continue;
                case TarHeader.GnuLongName:
                    await WithMetadataAsync(header, data => longName = TarHeader.UntilNul(data).ToArray(), ct);
                    describing = true;
                    continue;
                case TarHeader.GnuLongLinkName:
                    // Only links have one, and links are refused by name when their own header comes.
                    await WithMetadataAsync(header, _ => { }, ct);
                    describing = true;
                    continue;
                case TarHeader.PaxGlobal:
                    await WithMetadataAsync(header, _ => { }, ct);
                    continue;
            }
            // A PAX path wins over a GNU long name, which wins over the header's own.
            var name = paxPath ?? longName ?? header.Name;
            var member = header with { Name = name, Size = paxSize ?? header.Size };
            _memberName = name;
            Start(member.Size);
            return member;
        }
    }

    /// <summary>The next piece of the current member's data, valid until the next call; empty once all of it is read.</summary>
    public async ValueTask<ReadOnlyMemory<byte>> ReadDataAsync(CancellationToken ct)
    {
        if (_dataLeft == 0) return ReadOnlyMemory<byte>.Empty;
        if (_start == _end) await RefillAsync(ct);
        int take = (int)Math.Min(_dataLeft, _end - _start);
        var piece = new ReadOnlyMemory<byte>(Buffer, _start, take);
        Advance(take);
        _dataLeft -= take;
        return piece;
    }

    private async ValueTask SkipRestAsync(CancellationToken ct)
    {
        while (_dataLeft > 0)
        {
            if (_start == _end) await RefillAsync(ct);
            int take = (int)Math.Min(_dataLeft, _end - _start);
            Advance(take);
            _dataLeft -= take;
        }
        if (_paddingLeft > 0)
        {
            if (!await FillAsync(_paddingLeft, ct)) throw TruncatedInside("the padding of its last block");
            Advance(_paddingLeft);
            _paddingLeft = 0;
        }
    }

    // A PAX header or long name is small: it is read whole into the buffer and handed over in place.
    private async ValueTask WithMetadataAsync(TarHeader header, MetadataAction action, CancellationToken ct)
    {
        if (header.Size > MetadataLimit)
            throw new TarFormatException($"tar member '{Member}': an extended header of {header.Size} bytes is over the {MetadataLimit} accepted");
        Start(header.Size);
        int size = (int)header.Size;
        if (!await FillAsync(size, ct)) throw TruncatedInside("an extended header");
        action(Buffered(size));
        Advance(size);
        _dataLeft = 0;
        await SkipRestAsync(ct);
    }

    private delegate void MetadataAction(ReadOnlySpan<byte> data);

    private void Start(long size)
    {
        _dataSize = size;
        _dataLeft = size;
        _paddingLeft = (int)((Block - size % Block) % Block);
    }

    private ReadOnlySpan<byte> Buffered(int count) => _buffer.AsSpan(_start, count);

    private void Advance(int count)
    {
        _start += count;
        _offset += count;
    }

    /// <summary>Reads until the buffer holds at least <paramref name="count"/> bytes; false when the stream ends first.</summary>
    private async ValueTask<bool> FillAsync(int count, CancellationToken ct)
    {
        var buffer = Buffer;
        if (_start + count > buffer.Length)
        {
            buffer.AsSpan(_start, _end - _start).CopyTo(buffer);
            _end -= _start;
            _start = 0;
        }
        while (_end - _start < count)
        {
            int read = await _stream.ReadAsync(buffer.AsMemory(_end), ct);
            if (read == 0) return false;
            _end += read;
        }
        return true;
    }

    private async ValueTask RefillAsync(CancellationToken ct)
    {
        _start = _end = 0;
        int read = await _stream.ReadAsync(Buffer.AsMemory(), ct);
        if (read == 0)
            throw new TarFormatException($"tar member '{Member}': the stream ends inside its data, {_dataSize - _dataLeft} of {_dataSize} bytes in; the archive is truncated");
        _end = read;
    }

    private TarFormatException MissingEndMarker() =>
        new($"tar stream: it ends at offset {_offset} without the end marker (two zero blocks){After}; the archive is truncated");

    private TarFormatException TruncatedInside(string what) =>
        new($"tar stream: it ends at offset {_offset + (_end - _start)} inside {what}{After}; the archive is truncated");

    private string After => _memberName.Length == 0 ? "" : $", after member '{Member}'";

    private byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(TarReader));

    public void Dispose()
    {
        if (_buffer is null) return;
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = null;
    }
}
