using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Bunker.Client.Vm.Nbd;
using Bunker.Tests.Shared;
using static Bunker.Client.Vm.Nbd.NbdProtocol;

namespace Bunker.Client.Tests.Vm;

/// <summary>
/// bunker's NBD client against a server that lies or breaks off: each misbehaviour is an NbdException that says what
/// the server did, never bytes taken on trust.
/// </summary>
public sealed class HostileNbdServerTests : IDisposable
{
    private const long ExportSize = 16 << 20;
    private readonly ScratchDirectory _scratch = FileTrees.Scratch("bunker-nbd-hostile");

    public void Dispose() => _scratch.Dispose();

    private async Task<NbdException> FailsAsync(ScriptedServer script, Func<NbdClient, Task>? use = null)
    {
        string socket = _scratch.Combine($"h{Guid.NewGuid():N}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socket));
        listener.Listen(1);
        var serving = Task.Run(async () =>
        {
            using var connection = await listener.AcceptAsync();
            await using var stream = new NetworkStream(connection);
            try
            {
                await script.RunAsync(stream);
            }
            catch (IOException)
            {
                // The client hung up on the lie: that is the point.
            }
        });
        var address = NbdAddress.Parse($"nbd+unix:///disk?socket={socket}");
        var failure = await Assert.ThrowsAsync<NbdException>(async () =>
        {
            using var client = await NbdClient.ConnectAsync(address, [AllocationContext], default);
            if (use is not null) await use(client);
        });
        await serving.WaitAsync(TimeSpan.FromSeconds(10));
        return failure;
    }

    private static Task Read(NbdClient client) => client.ReadAsync(0, new byte[4096], default);

    [Fact]
    public async Task A_peer_that_is_not_newstyle_nbd_is_refused_at_the_greeting()
    {
        Assert.Contains("oldstyle", (await FailsAsync(new ScriptedServer { Greeting = Greet(OldstyleMagic, FlagFixedNewstyle) })).Message);
        Assert.Contains("not an NBD server", (await FailsAsync(new ScriptedServer { Greeting = Encoding.ASCII.GetBytes("HTTP/1.1 400 Bad Request\r\n\r\n") })).Message);
        Assert.Contains("fixed newstyle", (await FailsAsync(new ScriptedServer { Greeting = Greet(OptionMagic, 0) })).Message);
    }

    [Fact]
    public async Task Negotiation_lies_are_refused()
    {
        Assert.Contains("which no disk does", (await FailsAsync(new ScriptedServer { Size = ulong.MaxValue - 511 })).Message);
        Assert.Contains("HAS_FLAGS", (await FailsAsync(new ScriptedServer { Flags = ReadOnly })).Message);
        var unknown = await FailsAsync(new ScriptedServer { GoError = RepErrUnknown, GoMessage = "export disk was deleted" });
        Assert.Contains("no export named 'disk'", unknown.Message);
        Assert.Contains("export disk was deleted", unknown.Message);
        Assert.Contains("requires TLS", (await FailsAsync(new ScriptedServer { GoError = RepErrTlsRequired })).Message);
    }

    [Fact]
    public async Task A_reply_cut_off_in_the_middle_is_named()
    {
        var script = new ScriptedServer
        {
            Reply = async (stream, request) =>
            {
                await stream.WriteAsync(Chunk(ReplyOffsetData, ReplyFlagDone, request.Cookie, 8 + request.Length, Offset(request.Offset), new byte[100]));
                return false; // and hang up
            },
        };
        Assert.Contains("closed the connection in the middle of read data", (await FailsAsync(script, Read)).Message);
    }

    [Theory]
    [InlineData("cookie", "answered request")]
    [InlineData("outside", "outside the 4096 bytes asked for")]
    [InlineData("half", "covers 2048 of the 4096 bytes")]
    [InlineData("twice", "answers some twice")]
    [InlineData("simple", "simple reply after agreeing to structured replies")]
    [InlineData("type", "reply chunk type 77")]
    public async Task A_read_reply_that_does_not_match_the_request_is_refused(string lie, string message)
    {
        var script = new ScriptedServer
        {
            Reply = async (stream, request) =>
            {
                var data = new byte[request.Length];
                switch (lie)
                {
                    case "cookie":
                        await stream.WriteAsync(Chunk(ReplyOffsetData, ReplyFlagDone, request.Cookie + 7, 8 + request.Length, Offset(request.Offset), data));
                        break;
                    case "outside":
                        await stream.WriteAsync(Chunk(ReplyOffsetData, ReplyFlagDone, request.Cookie, 8 + request.Length, Offset(request.Offset + 4096), data));
                        break;
                    case "half":
                        await stream.WriteAsync(Chunk(ReplyOffsetData, ReplyFlagDone, request.Cookie, 8 + 2048, Offset(request.Offset), new byte[2048]));
                        break;
                    case "twice":
                        await stream.WriteAsync(Chunk(ReplyOffsetData, 0, request.Cookie, 8 + 2048, Offset(request.Offset), new byte[2048]));
                        await stream.WriteAsync(Chunk(ReplyOffsetData, ReplyFlagDone, request.Cookie, 8 + 2048, Offset(request.Offset), new byte[2048]));
                        break;
                    case "simple":
                        var simple = new byte[16];
                        BinaryPrimitives.WriteUInt32BigEndian(simple, SimpleReplyMagic);
                        BinaryPrimitives.WriteUInt64BigEndian(simple.AsSpan(8), request.Cookie);
                        await stream.WriteAsync(simple);
                        await stream.WriteAsync(data);
                        break;
                    case "type":
                        await stream.WriteAsync(Chunk(77, ReplyFlagDone, request.Cookie, 0));
                        break;
                }
                return true;
            },
        };
        Assert.Contains(message, (await FailsAsync(script, Read)).Message);
    }

    [Theory]
    [InlineData("past-end", "past the export's end")]
    [InlineData("empty", "descriptor 0 is empty")]
    [InlineData("context", "context 9, which was never agreed")]
    [InlineData("none", "holds no status for the context asked for")]
    public async Task Block_status_that_lies_about_extents_is_refused(string lie, string message)
    {
        var script = new ScriptedServer
        {
            Reply = async (stream, request) =>
            {
                uint context = lie == "context" ? 9u : 1u;
                var descriptors = lie switch
                {
                    "past-end" => Descriptors((uint)(ExportSize + 4096), 0),
                    "empty" => Descriptors(0, 0),
                    _ => Descriptors(4096, 3),
                };
                if (lie == "none")
                    await stream.WriteAsync(Chunk(ReplyNone, ReplyFlagDone, request.Cookie, 0));
                else
                    await stream.WriteAsync(Chunk(ReplyBlockStatus, ReplyFlagDone, request.Cookie, (uint)(4 + descriptors.Length), Context(context), descriptors));
                return true;
            },
        };
        var failure = await FailsAsync(script, client => client.BlockStatusAsync(AllocationContext, 0, ExportSize, default));
        Assert.Contains(message, failure.Message);
    }

    [Fact]
    public async Task An_error_the_server_reports_fails_that_read_only()
    {
        int reads = 0;
        var script = new ScriptedServer
        {
            Reply = async (stream, request) =>
            {
                if (++reads == 1)
                {
                    var text = "medium error at sector 8"u8.ToArray();
                    var body = new byte[6 + text.Length];
                    BinaryPrimitives.WriteUInt32BigEndian(body, EIo);
                    BinaryPrimitives.WriteUInt16BigEndian(body.AsSpan(4), (ushort)text.Length);
                    text.CopyTo(body, 6);
                    await stream.WriteAsync(Chunk(ReplyError, ReplyFlagDone, request.Cookie, (uint)body.Length, body));
                    return true;
                }
                var data = Enumerable.Repeat((byte)0x5a, (int)request.Length).ToArray();
                await stream.WriteAsync(Chunk(ReplyOffsetData, ReplyFlagDone, request.Cookie, 8 + request.Length, Offset(request.Offset), data));
                return true;
            },
        };
        byte[] second = new byte[4096];
        var failure = await FailsAsync(script, async client =>
        {
            var first = await Assert.ThrowsAsync<NbdException>(() => Read(client));
            Assert.Contains("EIO", first.Message);
            Assert.Contains("medium error at sector 8", first.Message);
            await client.ReadAsync(0, second, default);
            throw new NbdException("the second read worked");
        });
        Assert.Equal("the second read worked", failure.Message);
        Assert.All(second, b => Assert.Equal(0x5a, b));
    }

    // ---- The scripted server -------------------------------------------------------------------------

    private static byte[] Greet(ulong second, ushort flags)
    {
        var greeting = new byte[18];
        BinaryPrimitives.WriteUInt64BigEndian(greeting, InitMagic);
        BinaryPrimitives.WriteUInt64BigEndian(greeting.AsSpan(8), second);
        BinaryPrimitives.WriteUInt16BigEndian(greeting.AsSpan(16), flags);
        return greeting;
    }

    private static byte[] Offset(long offset)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, (ulong)offset);
        return bytes;
    }

    private static byte[] Context(uint id)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, id);
        return bytes;
    }

    private static byte[] Descriptors(uint length, uint flags)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, length);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4), flags);
        return bytes;
    }

    private static byte[] Chunk(ushort type, ushort flags, ulong cookie, uint length, params byte[][] body)
    {
        var header = new byte[20];
        BinaryPrimitives.WriteUInt32BigEndian(header, StructuredReplyMagic);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), flags);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), type);
        BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(8), cookie);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(16), length);
        return [.. header, .. body.SelectMany(b => b)];
    }

    private sealed record Request(ushort Type, ulong Cookie, long Offset, uint Length);

    /// <summary>An NBD server played from a script: an honest negotiation unless told otherwise, then Reply for each request.</summary>
    private sealed class ScriptedServer
    {
        public byte[] Greeting { get; init; } = Greet(OptionMagic, FlagFixedNewstyle | FlagNoZeroes);
        public ulong Size { get; init; } = ExportSize;
        public ushort Flags { get; init; } = HasFlags | ReadOnly;
        public uint GoError { get; init; }
        public string GoMessage { get; init; } = "";
        /// <summary>Writes the reply to one request; false hangs up.</summary>
        public Func<Stream, Request, Task<bool>>? Reply { get; init; }

        public async Task RunAsync(Stream stream)
        {
            await stream.WriteAsync(Greeting);
            if (Greeting.Length != 18) return;
            await stream.ReadExactlyAsync(new byte[4]);
            var header = new byte[16];
            while (true)
            {
                await stream.ReadExactlyAsync(header);
                uint option = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(8));
                await stream.ReadExactlyAsync(new byte[BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(12))]);
                switch (option)
                {
                    case OptStructuredReply:
                        await OptionReplyAsync(stream, option, RepAck, []);
                        break;
                    case OptSetMetaContext:
                        await OptionReplyAsync(stream, option, RepMetaContext, [.. Context(1), .. Encoding.ASCII.GetBytes(AllocationContext)]);
                        await OptionReplyAsync(stream, option, RepAck, []);
                        break;
                    case OptGo:
                        if (GoError != 0)
                        {
                            await OptionReplyAsync(stream, option, GoError, Encoding.UTF8.GetBytes(GoMessage));
                            return;
                        }
                        var export = new byte[12];
                        BinaryPrimitives.WriteUInt64BigEndian(export.AsSpan(2), Size);
                        BinaryPrimitives.WriteUInt16BigEndian(export.AsSpan(10), Flags);
                        await OptionReplyAsync(stream, option, RepInfo, export);
                        await OptionReplyAsync(stream, option, RepAck, []);
                        await TransmitAsync(stream);
                        return;
                    default:
                        await OptionReplyAsync(stream, option, RepErrUnsupported, []);
                        break;
                }
            }
        }

        private async Task TransmitAsync(Stream stream)
        {
            var request = new byte[28];
            while (true)
            {
                await stream.ReadExactlyAsync(request);
                ushort type = BinaryPrimitives.ReadUInt16BigEndian(request.AsSpan(6));
                if (type == CmdDisc || Reply is null) return;
                var parsed = new Request(type, BinaryPrimitives.ReadUInt64BigEndian(request.AsSpan(8)),
                    (long)BinaryPrimitives.ReadUInt64BigEndian(request.AsSpan(16)), BinaryPrimitives.ReadUInt32BigEndian(request.AsSpan(24)));
                if (!await Reply(stream, parsed)) return;
            }
        }

        private static async Task OptionReplyAsync(Stream stream, uint option, uint reply, byte[] data)
        {
            var header = new byte[20];
            BinaryPrimitives.WriteUInt64BigEndian(header, OptionReplyMagic);
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(8), option);
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(12), reply);
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(16), (uint)data.Length);
            await stream.WriteAsync(header);
            await stream.WriteAsync(data);
        }
    }
}
