using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text.Json;
using Bunker.Client.Vm.Nbd;
using Bunker.Tests.Shared;

namespace Bunker.Client.Tests.Vm;

/// <summary>
/// bunker's NBD server, read by libnbd's tools (nbdinfo, nbdcopy), qemu-img and bunker's own client, and by a raw
/// client that misbehaves: a bad request is answered with an error or ends that connection, never another.
/// </summary>
public sealed class NbdServerTests : IDisposable
{
    private const int Size = 24 << 20;
    private readonly ScratchDirectory _scratch = FileTrees.Scratch("bunker-nbd-server");
    private readonly MemoryExport _export = MemoryExport.Random(Size, seed: 3, (4 << 20, 8 << 20), (20 << 20, 4 << 20));

    public void Dispose() => _scratch.Dispose();

    private NbdServer Serve() => NbdServer.Start($"unix:{_scratch.Combine($"s{Guid.NewGuid():N}.sock")}", "sda", _export);

    [Fact]
    public async Task Libnbd_tools_and_qemu_read_the_export_exactly_and_see_its_holes()
    {
        await using var server = Serve();
        Assert.StartsWith("nbd+unix:///sda?socket=", server.Address);

        var info = await NbdTools.RunAsync("nbdinfo", "--json", server.Address);
        var export = JsonDocument.Parse(info.Stdout).RootElement.GetProperty("exports")[0];
        Assert.Equal(Size, export.GetProperty("export-size").GetInt64());
        Assert.True(export.GetProperty("is_read_only").GetBoolean());
        Assert.True(export.GetProperty("can_multi_conn").GetBoolean());
        Assert.Contains("base:allocation", export.GetProperty("contexts").EnumerateArray().Select(c => c.GetString()));

        var map = await NbdTools.RunAsync("nbdinfo", "--map", server.Address);
        var rows = map.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(p => (long.Parse(p[0]), long.Parse(p[1]), int.Parse(p[2]))).ToArray();
        Assert.Equal([(0L, 4L << 20, 0), (4L << 20, 8L << 20, 3), (12L << 20, 8L << 20, 0), (20L << 20, 4L << 20, 3)], rows);

        string copy = _scratch.Combine("copy.raw");
        await NbdTools.RunAsync("nbdcopy", "--connections=4", "--requests=8", server.Address, copy);
        Assert.Equal(_export.Data, await File.ReadAllBytesAsync(copy));
        Assert.True(server.ConnectionsAccepted >= 4, $"nbdcopy used {server.ConnectionsAccepted} connection(s)");

        string raw = _scratch.Combine("same.raw");
        await File.WriteAllBytesAsync(raw, _export.Data);
        await NbdTools.RunAsync("qemu-img", "compare", "-f", "raw", "-F", "raw", raw, server.Address);
    }

    [Fact]
    public async Task Bunkers_client_reads_data_and_allocation_over_several_connections_at_once()
    {
        await using var server = Serve();
        var address = NbdAddress.Parse(server.Address);
        var clients = new List<NbdClient>();
        for (int i = 0; i < 4; i++) clients.Add(await NbdClient.ConnectAsync(address, [NbdProtocol.AllocationContext], default));
        try
        {
            Assert.All(clients, c => Assert.Equal(Size, c.Size));
            Assert.All(clients, c => Assert.True(c.IsReadOnly && c.CanMultiConnect && c.StructuredReplies));
            var reads = clients.Select((client, i) => Task.Run(async () =>
            {
                var random = new Random(i);
                for (int n = 0; n < 40; n++)
                {
                    int length = random.Next(1, 3 << 20);
                    long offset = random.NextInt64(0, Size - length);
                    var buffer = new byte[length];
                    await client.ReadAsync(offset, buffer, default);
                    Assert.True(_export.Data.AsSpan((int)offset, length).SequenceEqual(buffer), $"read {length} at {offset}");
                }
            })).ToArray();
            await Task.WhenAll(reads);

            var extents = await clients[0].BlockStatusAsync(NbdProtocol.AllocationContext, 2 << 20, 20 << 20, default);
            Assert.Equal([
                new NbdExtent(2 << 20, 2 << 20, 0),
                new NbdExtent(4 << 20, 8 << 20, 3),
                new NbdExtent(12 << 20, 8 << 20, 0),
                new NbdExtent(20 << 20, 2 << 20, 3)], extents);
            var e = Assert.Throws<NbdException>(() => clients[1].Write(0, new byte[512]));
            Assert.Contains("read-only", e.Message);
        }
        finally
        {
            foreach (var client in clients) client.Dispose();
        }
    }

    [Fact]
    public async Task An_unknown_export_name_is_refused_by_name()
    {
        await using var server = Serve();
        var address = NbdAddress.Parse(server.Address) with { ExportName = "sdb" };
        var e = await Assert.ThrowsAsync<NbdException>(() => NbdClient.ConnectAsync(address, [], default));
        Assert.Contains("no export named 'sdb'", e.Message);
    }

    [Fact]
    public async Task Bad_requests_get_errors_and_the_connection_goes_on()
    {
        await using var server = Serve();
        using var raw = await RawClient.ConnectAsync(server);
        Assert.Equal(NbdProtocol.EInval, await raw.RequestAsync(NbdProtocol.CmdRead, Size - 100, 200));    // past the end
        Assert.Equal(NbdProtocol.EOverflow, await raw.RequestAsync(NbdProtocol.CmdRead, 0, 64 << 20));    // above the block size limit
        Assert.Equal(NbdProtocol.EInval, await raw.RequestAsync(NbdProtocol.CmdRead, 0, 0));
        Assert.Equal(NbdProtocol.EPerm, await raw.RequestAsync(NbdProtocol.CmdWrite, 0, 4096, payload: new byte[4096]));
        Assert.Equal(NbdProtocol.EPerm, await raw.RequestAsync(NbdProtocol.CmdTrim, 0, 4096));
        Assert.Equal(NbdProtocol.EInval, await raw.RequestAsync(99, 0, 4096));
        Assert.Equal(NbdProtocol.EInval, await raw.RequestAsync(NbdProtocol.CmdBlockStatus, 0, 4096)); // no context negotiated
        Assert.Equal(0u, await raw.RequestAsync(NbdProtocol.CmdFlush, 0, 0));
        Assert.Equal(0u, await raw.RequestAsync(NbdProtocol.CmdRead, 4096, 512, expectData: 512));
    }

    [Fact]
    public async Task A_client_that_breaks_the_protocol_is_disconnected_and_others_are_served()
    {
        await using var server = Serve();
        using (var raw = await RawClient.ConnectAsync(server))
        {
            await raw.SendGarbageAsync();
            Assert.True(await raw.ClosedAsync(), "the server kept a connection whose requests have the wrong magic");
        }
        // Negotiation abuse: an option claiming 1 GiB of data.
        using (var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(NbdAddress.Parse(server.Address).SocketPath!));
            await using var stream = new NetworkStream(socket);
            await stream.ReadExactlyAsync(new byte[18]);
            var hostile = new byte[4 + 16];
            BinaryPrimitives.WriteUInt32BigEndian(hostile, NbdProtocol.ClientFixedNewstyle);
            BinaryPrimitives.WriteUInt64BigEndian(hostile.AsSpan(4), NbdProtocol.OptionMagic);
            BinaryPrimitives.WriteUInt32BigEndian(hostile.AsSpan(12), NbdProtocol.OptGo);
            BinaryPrimitives.WriteUInt32BigEndian(hostile.AsSpan(16), 1u << 30);
            await stream.WriteAsync(hostile);
            Assert.Equal(0, await stream.ReadAsync(new byte[1]).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        }
        using var client = await NbdClient.ConnectAsync(NbdAddress.Parse(server.Address), [], default);
        var buffer = new byte[4096];
        await client.ReadAsync(12 << 20, buffer, default);
        Assert.True(_export.Data.AsSpan(12 << 20, 4096).SequenceEqual(buffer));
    }

    /// <summary>A client that speaks raw bytes: fixed newstyle, OPT_GO with no structured replies, then whatever the test sends.</summary>
    private sealed class RawClient : IDisposable
    {
        private readonly Socket _socket;
        private readonly NetworkStream _stream;
        private ulong _cookie;

        private RawClient(Socket socket)
        {
            _socket = socket;
            _stream = new NetworkStream(socket, ownsSocket: true);
        }

        public static async Task<RawClient> ConnectAsync(NbdServer server)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(NbdAddress.Parse(server.Address).SocketPath!));
            var client = new RawClient(socket);
            await client._stream.ReadExactlyAsync(new byte[18]);
            var go = new byte[4 + 16 + 4 + 3 + 2];
            BinaryPrimitives.WriteUInt32BigEndian(go, NbdProtocol.ClientFixedNewstyle | NbdProtocol.ClientNoZeroes);
            BinaryPrimitives.WriteUInt64BigEndian(go.AsSpan(4), NbdProtocol.OptionMagic);
            BinaryPrimitives.WriteUInt32BigEndian(go.AsSpan(12), NbdProtocol.OptGo);
            BinaryPrimitives.WriteUInt32BigEndian(go.AsSpan(16), 4 + 3 + 2);
            BinaryPrimitives.WriteUInt32BigEndian(go.AsSpan(20), 3);
            "sda"u8.CopyTo(go.AsSpan(24));
            await client._stream.WriteAsync(go);
            var header = new byte[20];
            while (true)
            {
                await client._stream.ReadExactlyAsync(header);
                uint reply = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(12));
                await client._stream.ReadExactlyAsync(new byte[BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(16))]);
                if (reply == NbdProtocol.RepAck) return client;
                Assert.Equal(NbdProtocol.RepInfo, reply);
            }
        }

        /// <summary>Sends one request and returns the error of its simple reply (reading expectData bytes after a success).</summary>
        public async Task<uint> RequestAsync(ushort type, long offset, uint length, byte[]? payload = null, int expectData = 0)
        {
            var request = new byte[28];
            ulong cookie = ++_cookie;
            BinaryPrimitives.WriteUInt32BigEndian(request, NbdProtocol.RequestMagic);
            BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(6), type);
            BinaryPrimitives.WriteUInt64BigEndian(request.AsSpan(8), cookie);
            BinaryPrimitives.WriteUInt64BigEndian(request.AsSpan(16), (ulong)offset);
            BinaryPrimitives.WriteUInt32BigEndian(request.AsSpan(24), length);
            await _stream.WriteAsync(request);
            if (payload is not null) await _stream.WriteAsync(payload);
            var reply = new byte[16];
            await _stream.ReadExactlyAsync(reply).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(NbdProtocol.SimpleReplyMagic, BinaryPrimitives.ReadUInt32BigEndian(reply));
            Assert.Equal(cookie, BinaryPrimitives.ReadUInt64BigEndian(reply.AsSpan(8)));
            uint error = BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(4));
            if (error == 0 && expectData > 0) await _stream.ReadExactlyAsync(new byte[expectData]);
            return error;
        }

        public Task SendGarbageAsync() => _stream.WriteAsync(new byte[28]).AsTask();

        public async Task<bool> ClosedAsync() =>
            await _stream.ReadAsync(new byte[1]).AsTask().WaitAsync(TimeSpan.FromSeconds(10)) == 0;

        public void Dispose() => _stream.Dispose();
    }
}
