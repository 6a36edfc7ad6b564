using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using static Bunker.Client.Vm.Nbd.NbdProtocol;

namespace Bunker.Client.Vm.Nbd;

/// <summary>
/// An NBD client: fixed newstyle negotiation (OPT_STRUCTURED_REPLY, OPT_SET_META_CONTEXT, OPT_GO, and
/// OPT_EXPORT_NAME for servers without GO), then READ, WRITE, WRITE_ZEROES, FLUSH and BLOCK_STATUS, one request at a
/// time. Everything the server sends is checked before it is used: magic numbers, cookies, lengths, and that a
/// reply covers exactly what was asked, so a truncated or lying server is an <see cref="NbdException"/>, never wrong
/// bytes.
/// </summary>
/// <remarks>
/// Requests are synchronous socket calls under one lock (the async methods run them on the thread pool): a restore's
/// receiver writes from inside a synchronous callback, and one blocking path is simpler to get right than two. A
/// server that goes silent fails the call after <see cref="Timeout"/>. Thread-safe.
/// </remarks>
internal sealed class NbdClient : IAsyncDisposable, IDisposable
{
    /// <summary>The most one request moves unless the server's block size says less: what qemu and nbdkit accept.</summary>
    public const int DefaultMaxRequest = 32 << 20;
    private const int MaxOptionReply = 1 << 20;
    // A block status chunk for a 1 GiB request at 512-byte granularity is 16 MiB of descriptors.
    private const int MaxStatusChunk = 32 << 20;
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly object _lock = new();
    private readonly Dictionary<string, uint> _contexts = new(StringComparer.Ordinal);
    private readonly Dictionary<uint, string> _contextNames = [];
    private readonly byte[] _header = new byte[32];
    private ulong _cookie;
    private bool _broken;
    private bool _transmitting;
    private bool _disposed;

    private NbdClient(Socket socket, NbdAddress address)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        Address = address;
    }

    public NbdAddress Address { get; }
    public long Size { get; private set; }
    public ushort TransmissionFlags { get; private set; }
    public bool StructuredReplies { get; private set; }
    public int MaxRequest { get; private set; } = DefaultMaxRequest;
    public bool IsReadOnly => (TransmissionFlags & ReadOnly) != 0;
    public bool CanMultiConnect => (TransmissionFlags & CanMultiConn) != 0;
    /// <summary>The metadata contexts the server agreed to, by name.</summary>
    public IReadOnlyCollection<string> MetaContexts => _contexts.Keys;

    /// <summary>Connects and negotiates <paramref name="address"/>'s export, asking for <paramref name="contexts"/> (those the server knows are set).</summary>
    /// <exception cref="NbdException">The server refused, is not fixed-newstyle NBD, or broke the protocol.</exception>
    /// <exception cref="SocketException">It could not be reached.</exception>
    public static async Task<NbdClient> ConnectAsync(NbdAddress address, IReadOnlyList<string> contexts, CancellationToken cancellationToken)
    {
        var socket = new Socket(address.Family == System.Net.Sockets.AddressFamily.Unspecified ? System.Net.Sockets.AddressFamily.InterNetwork : address.Family,
            SocketType.Stream, address.IsUnix ? ProtocolType.Unspecified : ProtocolType.Tcp);
        try
        {
            if (!address.IsUnix) socket.NoDelay = true;
            await socket.ConnectAsync(address.EndPoint, cancellationToken).ConfigureAwait(false);
            socket.ReceiveTimeout = socket.SendTimeout = (int)Timeout.TotalMilliseconds;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var client = new NbdClient(socket, address);
        try
        {
            await Task.Run(() => client.Negotiate(contexts), cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch (IOException e) when (e is not NbdException)
        {
            client.Dispose();
            throw new NbdException($"the connection failed during negotiation: {e.Message}");
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    // ---- Negotiation ------------------------------------------------------------------------------

    private void Negotiate(IReadOnlyList<string> contexts)
    {
        Span<byte> hello = stackalloc byte[18];
        ReadExactly(hello, "the greeting");
        if (BinaryPrimitives.ReadUInt64BigEndian(hello) != InitMagic)
            throw new NbdException("the peer is not an NBD server (no NBDMAGIC greeting)");
        ulong second = BinaryPrimitives.ReadUInt64BigEndian(hello[8..]);
        if (second == OldstyleMagic)
            throw new NbdException("the server speaks oldstyle NBD, which has no export names; use a newstyle server (qemu-nbd, nbdkit)");
        if (second != OptionMagic)
            throw new NbdException("the server's greeting is not newstyle NBD");
        ushort handshake = BinaryPrimitives.ReadUInt16BigEndian(hello[16..]);
        if ((handshake & FlagFixedNewstyle) == 0)
            throw new NbdException("the server does not speak fixed newstyle NBD");
        bool noZeroes = (handshake & FlagNoZeroes) != 0;
        Span<byte> flags = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(flags, ClientFixedNewstyle | (noZeroes ? ClientNoZeroes : 0));
        _stream.Write(flags);

        SendOption(OptStructuredReply, []);
        var (reply, _) = ReadOptionReply(OptStructuredReply);
        StructuredReplies = reply == RepAck;

        if (StructuredReplies && contexts.Count > 0)
            SetMetaContexts(contexts);
        if (!Go())
            ExportName(noZeroes);
        if ((TransmissionFlags & HasFlags) == 0)
            throw new NbdException("the server's transmission flags lack NBD_FLAG_HAS_FLAGS");
        _transmitting = true;
    }

    private void SetMetaContexts(IReadOnlyList<string> queries)
    {
        var body = new ArrayBufferWriter<byte>();
        WriteString32(body, Address.ExportName);
        WriteUInt32(body, (uint)queries.Count);
        foreach (var query in queries) WriteString32(body, query);
        SendOption(OptSetMetaContext, body.WrittenSpan);
        while (true)
        {
            var (reply, data) = ReadOptionReply(OptSetMetaContext);
            if (reply == RepAck) return;
            if ((reply & RepErrorBit) != 0) return; // the server has none of them: the caller falls back
            if (reply != RepMetaContext || data.Length < 5)
                throw new NbdException($"the server answered SET_META_CONTEXT with reply {reply} of {data.Length} bytes");
            uint id = BinaryPrimitives.ReadUInt32BigEndian(data);
            string name = DecodeString(data.AsSpan(4), "a metadata context name");
            if (!_contexts.TryAdd(name, id) || !_contextNames.TryAdd(id, name))
                throw new NbdException($"the server named metadata context '{name}' (id {id}) twice");
        }
    }

    /// <summary>OPT_GO with a block size request; false when the server does not know GO (then EXPORT_NAME).</summary>
    private bool Go()
    {
        var body = new ArrayBufferWriter<byte>();
        WriteString32(body, Address.ExportName);
        WriteUInt16(body, 1);
        WriteUInt16(body, InfoBlockSize);
        SendOption(OptGo, body.WrittenSpan);
        bool sawExport = false;
        while (true)
        {
            var (reply, data) = ReadOptionReply(OptGo);
            if (reply == RepAck)
            {
                if (!sawExport) throw new NbdException("the server accepted OPT_GO without describing the export");
                return true;
            }
            if (reply == RepErrUnsupported) return false;
            if ((reply & RepErrorBit) != 0)
            {
                string why = reply == RepErrUnknown ? $"the server has no export named '{Address.ExportName}'" : OptionReplyName(reply);
                string message = data.Length > 0 ? Encoding.UTF8.GetString(data.AsSpan(0, Math.Min(data.Length, MaxString))) : "";
                throw new NbdException(message.Length > 0 ? $"{why}: {message}" : why);
            }
            if (reply != RepInfo || data.Length < 2)
                throw new NbdException($"the server answered OPT_GO with reply {reply}");
            ushort info = BinaryPrimitives.ReadUInt16BigEndian(data);
            switch (info)
            {
                case InfoExport:
                    if (data.Length != 12) throw new NbdException($"the server's export information is {data.Length} bytes, not 12");
                    SetExport(BinaryPrimitives.ReadUInt64BigEndian(data.AsSpan(2)), BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(10)));
                    sawExport = true;
                    break;
                case InfoBlockSize:
                    if (data.Length != 14) throw new NbdException($"the server's block size information is {data.Length} bytes, not 14");
                    uint minimum = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(2));
                    uint maximum = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(10));
                    if (minimum > 1 << 16 || maximum < minimum)
                        throw new NbdException($"the server's block sizes (minimum {minimum}, maximum {maximum}) make no sense");
                    // Bunker's reads and writes are whole 4 MiB chunks at aligned offsets or the disk's tail: a minimum above 512 is refused.
                    if (minimum > 512) throw new NbdException($"the server wants requests in blocks of {minimum} bytes; bunker needs 512 or less");
                    MaxRequest = (int)Math.Clamp(maximum, 4096, DefaultMaxRequest);
                    break;
                default:
                    break; // names and descriptions are only for people
            }
        }
    }

    private void ExportName(bool noZeroes)
    {
        SendOption(OptExportName, Encoding.UTF8.GetBytes(Address.ExportName));
        Span<byte> answer = stackalloc byte[10 + 124];
        var take = noZeroes ? answer[..10] : answer;
        ReadExactly(take, "the export's description");
        SetExport(BinaryPrimitives.ReadUInt64BigEndian(answer), BinaryPrimitives.ReadUInt16BigEndian(answer[8..]));
    }

    private void SetExport(ulong size, ushort flags)
    {
        if (size > long.MaxValue / 2) throw new NbdException($"the server says the export holds {size} bytes, which no disk does");
        Size = (long)size;
        TransmissionFlags = flags;
    }

    private void SendOption(uint option, ReadOnlySpan<byte> data)
    {
        Span<byte> header = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(header, OptionMagic);
        BinaryPrimitives.WriteUInt32BigEndian(header[8..], option);
        BinaryPrimitives.WriteUInt32BigEndian(header[12..], (uint)data.Length);
        _stream.Write(header);
        _stream.Write(data);
    }

    private (uint Reply, byte[] Data) ReadOptionReply(uint option)
    {
        Span<byte> header = stackalloc byte[20];
        ReadExactly(header, "an option reply");
        if (BinaryPrimitives.ReadUInt64BigEndian(header) != OptionReplyMagic)
            throw new NbdException("the server's option reply has the wrong magic number");
        uint answered = BinaryPrimitives.ReadUInt32BigEndian(header[8..]);
        if (answered != option) throw new NbdException($"the server answered option {answered} to option {option}");
        uint reply = BinaryPrimitives.ReadUInt32BigEndian(header[12..]);
        uint length = BinaryPrimitives.ReadUInt32BigEndian(header[16..]);
        if (length > MaxOptionReply) throw new NbdException($"the server's option reply is {length} bytes long");
        var data = new byte[length];
        ReadExactly(data, "an option reply");
        return (reply, data);
    }

    // ---- Transmission -----------------------------------------------------------------------------

    public Task ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken) =>
        Task.Run(() => Read(offset, destination.Span), cancellationToken);

    /// <summary>Reads exactly destination.Length bytes at <paramref name="offset"/>, in requests of at most <see cref="MaxRequest"/>.</summary>
    public void Read(long offset, Span<byte> destination)
    {
        CheckRange(offset, destination.Length, "read");
        while (!destination.IsEmpty)
        {
            int take = Math.Min(destination.Length, MaxRequest);
            lock (_lock)
            {
                ulong cookie = Send(CmdRead, 0, offset, (uint)take, []);
                ReadReply(cookie, CmdRead, offset, destination[..take], null, "read");
            }
            destination = destination[take..];
            offset += take;
        }
    }

    /// <summary>Writes <paramref name="data"/> at <paramref name="offset"/>.</summary>
    public void Write(long offset, ReadOnlySpan<byte> data)
    {
        RequireWritable();
        CheckRange(offset, data.Length, "write");
        while (!data.IsEmpty)
        {
            int take = Math.Min(data.Length, MaxRequest);
            lock (_lock)
            {
                ulong cookie = Send(CmdWrite, 0, offset, (uint)take, data[..take]);
                ReadReply(cookie, CmdWrite, offset, [], null, "write");
            }
            data = data[take..];
            offset += take;
        }
    }

    /// <summary>Makes [offset, offset+length) read as zeros: WRITE_ZEROES where the server has it (it may punch holes), else written zeros.</summary>
    public void WriteZeroes(long offset, long length)
    {
        RequireWritable();
        CheckRange(offset, length, "write zeros to");
        if ((TransmissionFlags & SendWriteZeroes) != 0)
        {
            while (length > 0)
            {
                uint take = (uint)Math.Min(length, 1L << 30);
                lock (_lock)
                {
                    ulong cookie = Send(CmdWriteZeroes, 0, offset, take, []);
                    ReadReply(cookie, CmdWriteZeroes, offset, [], null, "write zeros to");
                }
                offset += take;
                length -= take;
            }
            return;
        }
        var zeros = ArrayPool<byte>.Shared.Rent((int)Math.Min(length, MaxRequest));
        try
        {
            Array.Clear(zeros);
            while (length > 0)
            {
                int take = (int)Math.Min(length, zeros.Length);
                Write(offset, zeros.AsSpan(0, take));
                offset += take;
                length -= take;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(zeros);
        }
    }

    /// <summary>Asks the server to make every write so far durable (a no-op when it offers no FLUSH).</summary>
    public void Flush()
    {
        if ((TransmissionFlags & SendFlush) == 0) return;
        lock (_lock)
        {
            ulong cookie = Send(CmdFlush, 0, 0, 0, []);
            ReadReply(cookie, CmdFlush, 0, [], null, "flush");
        }
    }

    public Task<List<NbdExtent>> BlockStatusAsync(string context, long offset, long length, CancellationToken cancellationToken) =>
        Task.Run(() => BlockStatus(context, offset, length), cancellationToken);

    /// <summary>
    /// The extents of <paramref name="context"/> over [offset, offset+length), asking again where the server answered
    /// only part of the range; they are contiguous, start at offset and end exactly at offset+length.
    /// </summary>
    public List<NbdExtent> BlockStatus(string context, long offset, long length)
    {
        if (!_contexts.TryGetValue(context, out uint id))
            throw new InvalidOperationException($"metadata context '{context}' was not negotiated");
        CheckRange(offset, length, "ask the status of");
        var extents = new List<NbdExtent>();
        long end = offset + length;
        while (offset < end)
        {
            uint take = (uint)Math.Min(end - offset, uint.MaxValue & ~511u);
            lock (_lock)
            {
                ulong cookie = Send(CmdBlockStatus, 0, offset, take, []);
                ReadReply(cookie, CmdBlockStatus, offset, [], new StatusRequest(id, offset, take, extents), "ask the status of");
            }
            var last = extents[^1];
            offset = last.Offset + last.Length;
        }
        return extents;
    }

    private void CheckRange(long offset, long length, string what)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_broken) throw new NbdException("the connection to the NBD server broke earlier");
        if (offset < 0 || length < 0 || offset > Size - length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"cannot {what} {length} bytes at {offset} of an export of {Size} bytes");
    }

    private void RequireWritable()
    {
        if (IsReadOnly) throw new NbdException($"{Address} is read-only");
    }

    private ulong Send(ushort type, ushort flags, long offset, uint length, ReadOnlySpan<byte> payload)
    {
        ulong cookie = ++_cookie;
        Span<byte> request = _header.AsSpan(0, 28);
        BinaryPrimitives.WriteUInt32BigEndian(request, RequestMagic);
        BinaryPrimitives.WriteUInt16BigEndian(request[4..], flags);
        BinaryPrimitives.WriteUInt16BigEndian(request[6..], type);
        BinaryPrimitives.WriteUInt64BigEndian(request[8..], cookie);
        BinaryPrimitives.WriteUInt64BigEndian(request[16..], (ulong)offset);
        BinaryPrimitives.WriteUInt32BigEndian(request[24..], length);
        try
        {
            _stream.Write(request);
            if (!payload.IsEmpty) _stream.Write(payload);
        }
        catch (IOException e)
        {
            _broken = true;
            throw new NbdException($"the NBD server's connection broke: {e.Message}");
        }
        return cookie;
    }

    /// <summary>What a BLOCK_STATUS reply is checked against, and where its extents go.</summary>
    private sealed record StatusRequest(uint ContextId, long Offset, uint Length, List<NbdExtent> Extents);

    /// <summary>
    /// Reads the reply to <paramref name="cookie"/>: a simple reply, or structured chunks up to the one flagged done.
    /// A read's data chunks and holes must cover <paramref name="data"/> exactly, without overlap. Any error the
    /// server reports, and anything malformed, throws; a malformed reply also marks the connection broken.
    /// </summary>
    private void ReadReply(ulong cookie, ushort command, long offset, Span<byte> data, StatusRequest? status, string what)
    {
        try
        {
            Span<byte> magic = _header.AsSpan(0, 4);
            ReadExactly(magic, "a reply");
            uint kind = BinaryPrimitives.ReadUInt32BigEndian(magic);
            if (kind == SimpleReplyMagic)
            {
                Span<byte> rest = _header.AsSpan(4, 12);
                ReadExactly(rest, "a reply");
                uint error = BinaryPrimitives.ReadUInt32BigEndian(rest);
                CheckCookie(BinaryPrimitives.ReadUInt64BigEndian(rest[4..]), cookie);
                if (error != 0) throw Refused(error, what, offset, data.Length, null);
                if (command == CmdBlockStatus) throw Broken("the server answered BLOCK_STATUS with a simple reply");
                if (command == CmdRead && StructuredReplies) throw Broken("the server answered READ with a simple reply after agreeing to structured replies");
                if (!data.IsEmpty) ReadExactly(data, "read data");
                return;
            }
            if (kind != StructuredReplyMagic || !StructuredReplies)
                throw Broken($"the server's reply has magic 0x{kind:x8}");
            ReadStructured(cookie, command, offset, data, status, what);
        }
        catch (IOException e) when (e is not NbdException)
        {
            _broken = true;
            throw new NbdException($"the NBD server's connection broke in a reply: {e.Message}");
        }
    }

    private void ReadStructured(ulong cookie, ushort command, long offset, Span<byte> data, StatusRequest? status, string what)
    {
        var covered = new List<(long Offset, long Length)>();
        uint? error = null;
        string? message = null;
        bool sawStatus = false;
        bool first = true;
        while (true)
        {
            if (!first)
            {
                ReadExactly(_header.AsSpan(0, 4), "a reply chunk");
                if (BinaryPrimitives.ReadUInt32BigEndian(_header) != StructuredReplyMagic)
                    throw Broken("a structured reply chunk has the wrong magic number");
            }
            first = false;
            Span<byte> head = _header.AsSpan(4, 16);
            ReadExactly(head, "a reply chunk");
            ushort flags = BinaryPrimitives.ReadUInt16BigEndian(head);
            ushort type = BinaryPrimitives.ReadUInt16BigEndian(head[2..]);
            CheckCookie(BinaryPrimitives.ReadUInt64BigEndian(head[4..]), cookie);
            uint length = BinaryPrimitives.ReadUInt32BigEndian(head[12..]);
            bool done = (flags & ReplyFlagDone) != 0;
            switch (type)
            {
                case ReplyNone:
                    if (length != 0 || !done) throw Broken("a NONE reply chunk must be empty and final");
                    break;
                case ReplyOffsetData when command == CmdRead:
                {
                    if (length < 8) throw Broken($"a data chunk of {length} bytes has no offset");
                    long at = ReadInt64("a data chunk");
                    long count = length - 8;
                    long start = CheckPiece(at, count, offset, data.Length, covered, "data");
                    ReadExactly(data.Slice((int)start, (int)count), "read data");
                    break;
                }
                case ReplyOffsetHole when command == CmdRead:
                {
                    if (length != 12) throw Broken($"a hole chunk is {length} bytes, not 12");
                    long at = ReadInt64("a hole chunk");
                    Span<byte> size = _header.AsSpan(20, 4);
                    ReadExactly(size, "a hole chunk");
                    long count = BinaryPrimitives.ReadUInt32BigEndian(size);
                    long start = CheckPiece(at, count, offset, data.Length, covered, "hole");
                    data.Slice((int)start, (int)count).Clear();
                    break;
                }
                case ReplyBlockStatus when command == CmdBlockStatus && status is not null:
                    ReadStatusChunk(length, status, ref sawStatus);
                    break;
                case ReplyError:
                case ReplyErrorOffset:
                case var _ when (type & ReplyErrorBit) != 0:
                {
                    if (length < 6 || length > 6 + MaxString + 8) throw Broken($"an error chunk of {length} bytes");
                    var body = new byte[length];
                    ReadExactly(body, "an error chunk");
                    error ??= BinaryPrimitives.ReadUInt32BigEndian(body);
                    int textLength = BinaryPrimitives.ReadUInt16BigEndian(body.AsSpan(4));
                    if (6 + textLength > length) throw Broken("an error chunk's message runs past the chunk");
                    message ??= Encoding.UTF8.GetString(body, 6, textLength);
                    break;
                }
                default:
                    throw Broken($"the server sent reply chunk type {type} to command {command}");
            }
            if (done) break;
        }
        if (error is { } code) throw Refused(code == 0 ? EIo : code, what, offset, data.Length, message);
        if (command == CmdRead)
        {
            covered.Sort();
            long next = 0;
            foreach (var (at, count) in covered)
            {
                if (at != next) throw Broken($"the read reply leaves bytes {next} to {at} of the {data.Length} asked for unanswered, or answers some twice");
                next = at + count;
            }
            if (next != data.Length) throw Broken($"the read reply covers {next} of the {data.Length} bytes asked for");
        }
        if (command == CmdBlockStatus && !sawStatus) throw Broken("the server's BLOCK_STATUS reply holds no status for the context asked for");
    }

    /// <summary>Checks one data or hole piece against the read's range; returns its start within the buffer.</summary>
    private long CheckPiece(long at, long count, long offset, int length, List<(long, long)> covered, string what)
    {
        long start = at - offset;
        if (count == 0 || start < 0 || start > length - count)
            throw Broken($"the server sent a {what} piece of {count} bytes at {at}, outside the {length} bytes asked for at {offset}");
        covered.Add((start, count));
        return start;
    }

    private void ReadStatusChunk(uint length, StatusRequest status, ref bool sawStatus)
    {
        if (length < 12 || (length - 4) % 8 != 0 || length > MaxStatusChunk)
            throw Broken($"a block status chunk of {length} bytes");
        var body = ArrayPool<byte>.Shared.Rent((int)length);
        try
        {
            ReadExactly(body.AsSpan(0, (int)length), "a block status chunk");
            uint id = BinaryPrimitives.ReadUInt32BigEndian(body);
            if (!_contextNames.ContainsKey(id)) throw Broken($"the server sent block status for context {id}, which was never agreed");
            if (id != status.ContextId) return; // another of the negotiated contexts: answered too, not asked for now
            if (sawStatus) throw Broken("the server sent the block status of one context twice in one reply");
            sawStatus = true;
            long at = status.Offset, end = status.Offset + status.Length;
            int descriptors = (int)((length - 4) / 8);
            for (int i = 0; i < descriptors && at < end; i++)
            {
                long size = BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(4 + i * 8));
                uint flags = BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(8 + i * 8));
                if (size == 0) throw Broken($"block status descriptor {i} is empty");
                if (at + size > Size) throw Broken($"the server describes bytes up to {at + size}, past the export's end at {Size}");
                // The last descriptor may reach past the range asked for (the spec lets servers say what they know); it is cut there.
                size = Math.Min(size, end - at);
                if (status.Extents.Count > 0 && status.Extents[^1] is var last && last.Flags == flags && last.Offset + last.Length == at)
                    status.Extents[^1] = last with { Length = last.Length + size };
                else
                    status.Extents.Add(new NbdExtent(at, size, flags));
                at += size;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body);
        }
    }

    private long ReadInt64(string what)
    {
        Span<byte> bytes = _header.AsSpan(20, 8);
        ReadExactly(bytes, what);
        ulong value = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        return value > long.MaxValue ? throw Broken($"{what} has offset {value}") : (long)value;
    }

    private void CheckCookie(ulong got, ulong expected)
    {
        if (got != expected) throw Broken($"the server answered request {got} when request {expected} was the one in flight");
    }

    private NbdException Refused(uint error, string what, long offset, long length, string? message)
    {
        string text = $"the NBD server could not {what} {length} bytes at {offset}: {ErrorName(error)}";
        return new NbdException(string.IsNullOrEmpty(message) ? text : $"{text}: {message}");
    }

    private NbdException Broken(string message)
    {
        _broken = true;
        return new NbdException(message);
    }

    private void ReadExactly(Span<byte> buffer, string what)
    {
        try
        {
            _stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException)
        {
            _broken = true;
            throw new NbdException($"the NBD server closed the connection in the middle of {what}");
        }
    }

    private static string DecodeString(ReadOnlySpan<byte> bytes, string what)
    {
        if (bytes.Length > MaxString) throw new NbdException($"{what} is longer than {MaxString} bytes");
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new NbdException($"{what} is not UTF-8");
        }
    }

    private static void WriteString32(ArrayBufferWriter<byte> body, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        WriteUInt32(body, (uint)bytes.Length);
        body.Write(bytes);
    }

    private static void WriteUInt32(ArrayBufferWriter<byte> body, uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(body.GetSpan(4), value);
        body.Advance(4);
    }

    private static void WriteUInt16(ArrayBufferWriter<byte> body, ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(body.GetSpan(2), value);
        body.Advance(2);
    }

    /// <summary>Sends DISC (when the connection is sound) and closes.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            if (_transmitting && !_broken)
            {
                try
                {
                    Send(CmdDisc, 0, 0, 0, []);
                }
                catch (NbdException)
                {
                    // Closing anyway.
                }
            }
            _stream.Dispose();
        }
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
