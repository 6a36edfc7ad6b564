using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using static Bunker.Client.Vm.Nbd.NbdProtocol;

namespace Bunker.Client.Vm.Nbd;

/// <summary>
/// A read-only NBD server for one export: fixed newstyle negotiation (OPT_GO, OPT_INFO, OPT_EXPORT_NAME, OPT_LIST,
/// OPT_STRUCTURED_REPLY, OPT_LIST/SET_META_CONTEXT with base:allocation, OPT_ABORT), then READ, FLUSH, DISC and
/// BLOCK_STATUS, with several requests of one connection served at once and NBD_FLAG_CAN_MULTI_CONN (the export
/// never changes, so connections cannot disagree). Writes are refused with EPERM. A client that breaks the protocol
/// is disconnected; it never affects another connection.
/// </summary>
internal sealed class NbdServer : IAsyncDisposable
{
    public const int MaxRequest = 32 << 20;
    public const int PreferredBlock = 4096;
    private const uint AllocationId = 1;
    private const int MaxOptionLength = 64 << 10;
    private const int MaxOptions = 128;
    private const int InFlightPerConnection = 16;
    private const ushort Flags = HasFlags | ReadOnly | SendFlush | CanMultiConn;

    private readonly Socket _listener;
    private readonly NbdAddress _address;
    private readonly INbdExport _export;
    private readonly Action<string>? _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly HashSet<Task> _connections = [];
    private long _connectionCount;

    private NbdServer(Socket listener, NbdAddress address, INbdExport export, Action<string>? log)
    {
        _listener = listener;
        _address = address;
        _export = export;
        _log = log;
        Completion = Task.Run(AcceptAllAsync);
    }

    /// <summary>The export's URI, as clients write it: nbd://HOST:PORT/NAME or nbd+unix:///NAME?socket=PATH.</summary>
    public string Address => _address.ToString();
    public EndPoint LocalEndPoint => _listener.LocalEndPoint!;
    /// <summary>Ends when the server stops (dispose), or faults if accepting fails.</summary>
    public Task Completion { get; }
    public long ConnectionsAccepted => Interlocked.Read(ref _connectionCount);

    /// <summary>Listens on <paramref name="listen"/> (HOST:PORT, port 0 for any, or unix:PATH) and serves <paramref name="export"/> as <paramref name="exportName"/>.</summary>
    /// <exception cref="FormatException">The listen address is malformed.</exception>
    /// <exception cref="SocketException">It cannot be bound.</exception>
    public static NbdServer Start(string listen, string exportName, INbdExport export, Action<string>? log = null)
    {
        var address = NbdAddress.ParseListen(listen, exportName);
        Socket socket;
        if (address.IsUnix)
        {
            RemoveStaleSocket(address.SocketPath!);
            socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        }
        else
        {
            var ip = IPAddress.Parse(address.Host!);
            socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        }
        try
        {
            socket.Bind(address.EndPoint);
            socket.Listen(64);
            if (!address.IsUnix)
            {
                var bound = (IPEndPoint)socket.LocalEndPoint!;
                string host = address.Host == "0.0.0.0" ? "127.0.0.1" : address.Host!;
                address = address with { Host = host, Port = bound.Port };
            }
            return new NbdServer(socket, address, export, log);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>A socket file left by a server that is gone is removed; one that still answers, or any other file, is not.</summary>
    private static void RemoveStaleSocket(string path)
    {
        if (!File.Exists(path) && !Directory.Exists(path)) return;
        if (Files.Native.NativeFiles.Lstat(Encoding.UTF8.GetBytes(path)).Type != Protocol.V1.EntryType.Socket)
            throw new IOException($"{path} exists and is not a socket");
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException)
        {
            File.Delete(path);
            return;
        }
        throw new IOException($"{path} is in use by another server");
    }

    private async Task AcceptAllAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            Interlocked.Increment(ref _connectionCount);
            if (connection.AddressFamily != AddressFamily.Unix) connection.NoDelay = true;
            var task = ServeAsync(connection);
            lock (_connections) _connections.Add(task);
            _ = task.ContinueWith(t => { lock (_connections) _connections.Remove(t); }, TaskScheduler.Default);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        var connection = new Connection(this, stream);
        try
        {
            await connection.RunAsync(_stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or NbdException)
        {
            if (!_stop.IsCancellationRequested) _log?.Invoke($"nbd: a connection ended: {e.Message}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        Task[] running;
        lock (_connections) running = [.. _connections];
        await Task.WhenAll(running).ConfigureAwait(false);
        await Completion.ConfigureAwait(false);
        if (_address.IsUnix) File.Delete(_address.SocketPath!);
        _stop.Dispose();
    }

    /// <summary>One client: negotiation, then its requests, with replies written whole under one lock.</summary>
    private sealed class Connection(NbdServer server, NetworkStream stream)
    {
        private readonly SemaphoreSlim _writeLock = new(1, 1);
        private readonly SemaphoreSlim _slots = new(InFlightPerConnection, InFlightPerConnection);
        private readonly List<Task> _inFlight = [];
        private bool _noZeroes;
        private bool _structured;
        private bool _allocation;

        public async Task RunAsync(CancellationToken stop)
        {
            if (await NegotiateAsync(stop).ConfigureAwait(false))
                await TransmitAsync(stop).ConfigureAwait(false);
        }

        // ---- Negotiation ---------------------------------------------------------------------------

        /// <summary>True once the client has chosen the export; false when it left (ABORT, or an unusable request).</summary>
        private async Task<bool> NegotiateAsync(CancellationToken stop)
        {
            var hello = new byte[18];
            BinaryPrimitives.WriteUInt64BigEndian(hello, InitMagic);
            BinaryPrimitives.WriteUInt64BigEndian(hello.AsSpan(8), OptionMagic);
            BinaryPrimitives.WriteUInt16BigEndian(hello.AsSpan(16), FlagFixedNewstyle | FlagNoZeroes);
            await stream.WriteAsync(hello, stop).ConfigureAwait(false);
            var flags = new byte[4];
            await stream.ReadExactlyAsync(flags, stop).ConfigureAwait(false);
            uint clientFlags = BinaryPrimitives.ReadUInt32BigEndian(flags);
            if ((clientFlags & ClientFixedNewstyle) == 0 || (clientFlags & ~(ClientFixedNewstyle | ClientNoZeroes)) != 0)
                return false; // only fixed newstyle, and no flags this server does not know
            _noZeroes = (clientFlags & ClientNoZeroes) != 0;

            var header = new byte[16];
            for (int count = 0; count < MaxOptions; count++)
            {
                await stream.ReadExactlyAsync(header, stop).ConfigureAwait(false);
                if (BinaryPrimitives.ReadUInt64BigEndian(header) != OptionMagic) return false;
                uint option = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(8));
                uint length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(12));
                if (length > MaxOptionLength) return false; // nothing sane is this long, and skipping it would be reading it
                var data = new byte[length];
                await stream.ReadExactlyAsync(data, stop).ConfigureAwait(false);
                switch (option)
                {
                    case OptExportName:
                        if (!IsOurs(data)) return false; // the protocol's answer to an unknown name here is to close
                        var answer = new byte[_noZeroes ? 10 : 134];
                        BinaryPrimitives.WriteUInt64BigEndian(answer, (ulong)server._export.Size);
                        BinaryPrimitives.WriteUInt16BigEndian(answer.AsSpan(8), Flags);
                        await stream.WriteAsync(answer, stop).ConfigureAwait(false);
                        return true;
                    case OptAbort:
                        await ReplyAsync(option, RepAck, ReadOnlyMemory<byte>.Empty, stop).ConfigureAwait(false);
                        return false;
                    case OptList:
                        if (length != 0)
                        {
                            await ReplyAsync(option, RepErrInvalid, ReadOnlyMemory<byte>.Empty, stop).ConfigureAwait(false);
                            break;
                        }
                        await ReplyAsync(option, RepServer, String32(server._address.ExportName), stop).ConfigureAwait(false);
                        await ReplyAsync(option, RepAck, ReadOnlyMemory<byte>.Empty, stop).ConfigureAwait(false);
                        break;
                    case OptInfo:
                    case OptGo:
                        if (await InfoAsync(option, data, stop).ConfigureAwait(false) && option == OptGo) return true;
                        break;
                    case OptStructuredReply:
                        if (length != 0)
                        {
                            await ReplyAsync(option, RepErrInvalid, ReadOnlyMemory<byte>.Empty, stop).ConfigureAwait(false);
                            break;
                        }
                        _structured = true;
                        await ReplyAsync(option, RepAck, ReadOnlyMemory<byte>.Empty, stop).ConfigureAwait(false);
                        break;
                    case OptListMetaContext:
                    case OptSetMetaContext:
                        await MetaContextAsync(option, data, stop).ConfigureAwait(false);
                        break;
                    default:
                        await ReplyAsync(option, RepErrUnsupported, ReadOnlyMemory<byte>.Empty, stop).ConfigureAwait(false);
                        break;
                }
            }
            return false;
        }

        private bool IsOurs(ReadOnlySpan<byte> name) =>
            name.IsEmpty || name.SequenceEqual(Encoding.UTF8.GetBytes(server._address.ExportName));

        /// <summary>OPT_INFO and OPT_GO: the export's size and flags, block sizes, its name if asked; true when accepted.</summary>
        private async Task<bool> InfoAsync(uint option, byte[] data, CancellationToken stop)
        {
            if (data.Length < 6)
            {
                await ReplyAsync(option, RepErrInvalid, ReadOnlyMemory<byte>.Empty, stop).ConfigureAwait(false);
                return false;
            }
            uint nameLength = BinaryPrimitives.ReadUInt32BigEndian(data);
            if (nameLength > data.Length - 6 || nameLength > MaxString)
            {
                await ReplyAsync(option, RepErrInvalid, ReadOnlyMemory<byte>.Empty, stop).ConfigureAwait(false);
                return false;
            }
            var name = data.AsSpan(4, (int)nameLength);
            int requests = BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(4 + (int)nameLength));
            if (data.Length != 6 + nameLength + 2 * requests)
            {
                await ReplyAsync(option, RepErrInvalid, ReadOnlyMemory<byte>.Empty, stop).ConfigureAwait(false);
                return false;
            }
            if (!IsOurs(name))
            {
                await ReplyAsync(option, RepErrUnknown, Encoding.UTF8.GetBytes($"no export '{Encoding.UTF8.GetString(name)}' here"), stop).ConfigureAwait(false);
                return false;
            }
            bool wantsName = false;
            for (int i = 0; i < requests; i++)
                wantsName |= BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(6 + (int)nameLength + 2 * i)) == InfoName;

            var export = new byte[12];
            BinaryPrimitives.WriteUInt16BigEndian(export, InfoExport);
            BinaryPrimitives.WriteUInt64BigEndian(export.AsSpan(2), (ulong)server._export.Size);
            BinaryPrimitives.WriteUInt16BigEndian(export.AsSpan(10), Flags);
            await ReplyAsync(option, RepInfo, export, stop).ConfigureAwait(false);
            var blocks = new byte[14];
            BinaryPrimitives.WriteUInt16BigEndian(blocks, InfoBlockSize);
            BinaryPrimitives.WriteUInt32BigEndian(blocks.AsSpan(2), 1);
            BinaryPrimitives.WriteUInt32BigEndian(blocks.AsSpan(6), PreferredBlock);
            BinaryPrimitives.WriteUInt32BigEndian(blocks.AsSpan(10), MaxRequest);
            await ReplyAsync(option, RepInfo, blocks, stop).ConfigureAwait(false);
            if (wantsName)
            {
                var named = new byte[2 + Encoding.UTF8.GetByteCount(server._address.ExportName)];
                BinaryPrimitives.WriteUInt16BigEndian(named, InfoName);
                Encoding.UTF8.GetBytes(server._address.ExportName, named.AsSpan(2));
                await ReplyAsync(option, RepInfo, named, stop).ConfigureAwait(false);
            }
            await ReplyAsync(option, RepAck, ReadOnlyMemory<byte>.Empty, stop).ConfigureAwait(false);
            return true;
        }

        /// <summary>OPT_LIST_META_CONTEXT and OPT_SET_META_CONTEXT: only base:allocation exists here.</summary>
        private async Task MetaContextAsync(uint option, byte[] data, CancellationToken stop)
        {
            bool set = option == OptSetMetaContext;
            if (set && !_structured)
            {
                await ReplyAsync(option, RepErrInvalid, Encoding.UTF8.GetBytes("negotiate structured replies first"), stop).ConfigureAwait(false);
                return;
            }
            var queries = ParseQueries(data, out bool ours);
            if (queries is null)
            {
                await ReplyAsync(option, RepErrInvalid, ReadOnlyMemory<byte>.Empty, stop).ConfigureAwait(false);
                return;
            }
            if (!ours)
            {
                await ReplyAsync(option, RepErrUnknown, ReadOnlyMemory<byte>.Empty, stop).ConfigureAwait(false);
                return;
            }
            bool matched = queries.Count == 0 && !set;
            foreach (var query in queries)
                matched |= query == AllocationContext || (!set && query == "base:");
            if (set) _allocation = matched;
            if (matched)
            {
                var reply = new byte[4 + AllocationContext.Length];
                BinaryPrimitives.WriteUInt32BigEndian(reply, AllocationId);
                Encoding.ASCII.GetBytes(AllocationContext, reply.AsSpan(4));
                await ReplyAsync(option, RepMetaContext, reply, stop).ConfigureAwait(false);
            }
            await ReplyAsync(option, RepAck, ReadOnlyMemory<byte>.Empty, stop).ConfigureAwait(false);
        }

        /// <summary>The queries of a meta context option, or null when it is malformed; <paramref name="ours"/> says whether it names this export.</summary>
        private List<string>? ParseQueries(byte[] data, out bool ours)
        {
            ours = false;
            if (data.Length < 8) return null;
            uint nameLength = BinaryPrimitives.ReadUInt32BigEndian(data);
            if (nameLength > data.Length - 8) return null;
            ours = IsOurs(data.AsSpan(4, (int)nameLength));
            int at = 4 + (int)nameLength;
            uint count = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(at));
            at += 4;
            var queries = new List<string>();
            for (uint i = 0; i < count; i++)
            {
                if (data.Length - at < 4) return null;
                uint length = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(at));
                at += 4;
                if (length > data.Length - at || length > MaxString) return null;
                queries.Add(Encoding.UTF8.GetString(data, at, (int)length));
                at += (int)length;
            }
            return at == data.Length ? queries : null;
        }

        private async Task ReplyAsync(uint option, uint reply, ReadOnlyMemory<byte> data, CancellationToken stop)
        {
            var header = new byte[20 + data.Length];
            BinaryPrimitives.WriteUInt64BigEndian(header, OptionReplyMagic);
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(8), option);
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(12), reply);
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(16), (uint)data.Length);
            data.Span.CopyTo(header.AsSpan(20));
            await stream.WriteAsync(header, stop).ConfigureAwait(false);
        }

        private static byte[] String32(string value)
        {
            var bytes = new byte[4 + Encoding.UTF8.GetByteCount(value)];
            BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)(bytes.Length - 4));
            Encoding.UTF8.GetBytes(value, bytes.AsSpan(4));
            return bytes;
        }

        // ---- Transmission --------------------------------------------------------------------------

        private async Task TransmitAsync(CancellationToken stop)
        {
            var header = new byte[28];
            try
            {
                while (true)
                {
                    try
                    {
                        await stream.ReadExactlyAsync(header, stop).ConfigureAwait(false);
                    }
                    catch (EndOfStreamException)
                    {
                        return; // the client went away without DISC
                    }
                    if (BinaryPrimitives.ReadUInt32BigEndian(header) != RequestMagic)
                        throw new NbdException("a request with the wrong magic number");
                    ushort flags = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(4));
                    ushort type = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(6));
                    ulong cookie = BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(8));
                    ulong offset = BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(16));
                    uint length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(24));
                    switch (type)
                    {
                        case CmdDisc:
                            return;
                        case CmdWrite:
                            // The payload follows and must be taken off the wire before anything else is read.
                            if (length > MaxRequest) throw new NbdException($"a write of {length} bytes");
                            await DrainAsync(length, stop).ConfigureAwait(false);
                            await ErrorAsync(cookie, EPerm, "the export is read-only", stop).ConfigureAwait(false);
                            break;
                        case CmdRead:
                            await StartAsync(() => ReadAsync(cookie, flags, offset, length, stop), stop).ConfigureAwait(false);
                            break;
                        case CmdBlockStatus:
                            await StartAsync(() => BlockStatusAsync(cookie, flags, offset, length, stop), stop).ConfigureAwait(false);
                            break;
                        case CmdFlush:
                            // Nothing is ever written; every earlier reply is already out.
                            await SimpleAsync(cookie, flags == 0 && offset == 0 && length == 0 ? 0 : EInval, stop).ConfigureAwait(false);
                            break;
                        case CmdTrim:
                        case CmdWriteZeroes:
                            await ErrorAsync(cookie, EPerm, "the export is read-only", stop).ConfigureAwait(false);
                            break;
                        default:
                            await ErrorAsync(cookie, EInval, $"command {type} is not supported", stop).ConfigureAwait(false);
                            break;
                    }
                }
            }
            finally
            {
                Task[] running;
                lock (_inFlight) running = [.. _inFlight];
                try
                {
                    await Task.WhenAll(running).ConfigureAwait(false);
                }
                catch
                {
                    // Each request's own failure was answered or ended the connection already.
                }
            }
        }

        private async Task DrainAsync(uint length, CancellationToken stop)
        {
            var scratch = ArrayPool<byte>.Shared.Rent((int)Math.Min(length, 1 << 20));
            try
            {
                while (length > 0)
                {
                    int take = (int)Math.Min(length, (uint)scratch.Length);
                    await stream.ReadExactlyAsync(scratch.AsMemory(0, take), stop).ConfigureAwait(false);
                    length -= (uint)take;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(scratch);
            }
        }

        private async Task StartAsync(Func<Task> request, CancellationToken stop)
        {
            await _slots.WaitAsync(stop).ConfigureAwait(false);
            var task = Task.Run(async () =>
            {
                try
                {
                    await request().ConfigureAwait(false);
                }
                finally
                {
                    _slots.Release();
                }
            }, stop);
            lock (_inFlight)
            {
                _inFlight.RemoveAll(t => t.IsCompleted);
                _inFlight.Add(task);
            }
        }

        /// <summary>The request's range, or the error that answers it: EINVAL past the end, EOVERFLOW above the block size limit.</summary>
        private uint CheckRange(ulong offset, uint length, bool limitLength)
        {
            ulong size = (ulong)server._export.Size;
            if (limitLength && length > MaxRequest) return EOverflow;
            return length == 0 || offset > size || length > size - offset ? EInval : 0;
        }

        private async Task ReadAsync(ulong cookie, ushort flags, ulong offset, uint length, CancellationToken stop)
        {
            uint error = (flags & ~(CmdFlagFua | CmdFlagDf)) != 0 ? EInval : CheckRange(offset, length, limitLength: true);
            if (error != 0)
            {
                await ErrorAsync(cookie, error, $"cannot read {length} bytes at {offset} of {server._export.Size}", stop).ConfigureAwait(false);
                return;
            }
            int head = _structured ? 28 : 16;
            var reply = ArrayPool<byte>.Shared.Rent(head + (int)length);
            try
            {
                try
                {
                    await server._export.ReadAsync((long)offset, reply.AsMemory(head, (int)length), stop).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    server._log?.Invoke($"nbd: reading {length} bytes at {offset} failed: {e.Message}");
                    await ErrorAsync(cookie, EIo, e.Message, stop).ConfigureAwait(false);
                    return;
                }
                if (_structured)
                {
                    WriteChunkHeader(reply, ReplyOffsetData, cookie, 8 + length);
                    BinaryPrimitives.WriteUInt64BigEndian(reply.AsSpan(20), offset);
                }
                else
                {
                    WriteSimpleHeader(reply, 0, cookie);
                }
                await WriteAsync(reply.AsMemory(0, head + (int)length), stop).ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(reply);
            }
        }

        private async Task BlockStatusAsync(ulong cookie, ushort flags, ulong offset, uint length, CancellationToken stop)
        {
            if (!_structured || !_allocation)
            {
                await ErrorAsync(cookie, EInval, "no metadata context was negotiated", stop).ConfigureAwait(false);
                return;
            }
            uint error = (flags & ~CmdFlagReqOne) != 0 ? EInval : CheckRange(offset, length, limitLength: false);
            if (error != 0)
            {
                await ErrorAsync(cookie, error, $"cannot describe {length} bytes at {offset} of {server._export.Size}", stop).ConfigureAwait(false);
                return;
            }
            var extents = await server._export.AllocationAsync((long)offset, length, stop).ConfigureAwait(false);
            int count = (flags & CmdFlagReqOne) != 0 ? Math.Min(1, extents.Count) : extents.Count;
            var reply = new byte[20 + 4 + 8 * count];
            WriteChunkHeader(reply, ReplyBlockStatus, cookie, (uint)(4 + 8 * count));
            BinaryPrimitives.WriteUInt32BigEndian(reply.AsSpan(20), AllocationId);
            for (int i = 0; i < count; i++)
            {
                BinaryPrimitives.WriteUInt32BigEndian(reply.AsSpan(24 + 8 * i), (uint)extents[i].Length);
                BinaryPrimitives.WriteUInt32BigEndian(reply.AsSpan(28 + 8 * i), extents[i].Flags);
            }
            await WriteAsync(reply, stop).ConfigureAwait(false);
        }

        private Task SimpleAsync(ulong cookie, uint error, CancellationToken stop)
        {
            if (error != 0) return ErrorAsync(cookie, error, "invalid request", stop);
            if (_structured)
            {
                var none = new byte[20];
                WriteChunkHeader(none, ReplyNone, cookie, 0);
                return WriteAsync(none, stop);
            }
            var reply = new byte[16];
            WriteSimpleHeader(reply, 0, cookie);
            return WriteAsync(reply, stop);
        }

        private Task ErrorAsync(ulong cookie, uint error, string message, CancellationToken stop)
        {
            if (!_structured)
            {
                var reply = new byte[16];
                WriteSimpleHeader(reply, error, cookie);
                return WriteAsync(reply, stop);
            }
            var text = Encoding.UTF8.GetBytes(message.Length > 256 ? message[..256] : message);
            var chunk = new byte[20 + 6 + text.Length];
            WriteChunkHeader(chunk, ReplyError, cookie, (uint)(6 + text.Length));
            BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(20), error);
            BinaryPrimitives.WriteUInt16BigEndian(chunk.AsSpan(24), (ushort)text.Length);
            text.CopyTo(chunk, 26);
            return WriteAsync(chunk, stop);
        }

        /// <summary>A structured chunk's header, always the last chunk of its reply: every reply here is one chunk.</summary>
        private static void WriteChunkHeader(byte[] buffer, ushort type, ulong cookie, uint length)
        {
            BinaryPrimitives.WriteUInt32BigEndian(buffer, StructuredReplyMagic);
            BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(4), ReplyFlagDone);
            BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(6), type);
            BinaryPrimitives.WriteUInt64BigEndian(buffer.AsSpan(8), cookie);
            BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(16), length);
        }

        private static void WriteSimpleHeader(byte[] buffer, uint error, ulong cookie)
        {
            BinaryPrimitives.WriteUInt32BigEndian(buffer, SimpleReplyMagic);
            BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(4), error);
            BinaryPrimitives.WriteUInt64BigEndian(buffer.AsSpan(8), cookie);
        }

        private async Task WriteAsync(ReadOnlyMemory<byte> reply, CancellationToken stop)
        {
            await _writeLock.WaitAsync(stop).ConfigureAwait(false);
            try
            {
                await stream.WriteAsync(reply, stop).ConfigureAwait(false);
            }
            finally
            {
                _writeLock.Release();
            }
        }
    }
}
