using Bunker.Client.Vm.Nbd;
using Bunker.Tests.Shared;

namespace Bunker.Client.Tests.Vm;

/// <summary>bunker's NBD client against real servers: qemu-nbd on a sparse raw image, and nbdkit's memory plugin for writes.</summary>
public sealed class NbdClientTests : IDisposable
{
    private readonly ScratchDirectory _scratch = FileTrees.Scratch("bunker-nbd-client");

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public async Task Reads_and_block_status_from_qemu_nbd_match_the_sparse_image()
    {
        string image = _scratch.Combine("disk.raw");
        var data = new byte[64 << 20];
        var random = new Random(9);
        random.NextBytes(data.AsSpan(0, 3 << 20));
        random.NextBytes(data.AsSpan(40 << 20, 1 << 20));
        await using (var file = new FileStream(image, FileMode.CreateNew))
        {
            file.SetLength(data.Length);
            file.Write(data, 0, 3 << 20);
            file.Position = 40 << 20;
            file.Write(data, 40 << 20, 1 << 20);
        }
        string socket = _scratch.Combine("q.sock");
        using var qemu = await NbdTools.StartAsync(socket, "qemu-nbd", "--format=raw", "--read-only", "--persistent", "--shared=2", $"--socket={socket}", "--export-name=img", image);

        using var client = await NbdClient.ConnectAsync(NbdAddress.Parse($"nbd+unix:///img?socket={socket}"), [NbdProtocol.AllocationContext, "qemu:nonexistent"], default);
        Assert.Equal(data.Length, client.Size);
        Assert.True(client.IsReadOnly);
        Assert.Equal([NbdProtocol.AllocationContext], client.MetaContexts);
        var read = new byte[data.Length];
        // qemu answers the sparse parts of a read with hole chunks: they must come back as zeros.
        await client.ReadAsync(0, read, default);
        Assert.True(data.AsSpan().SequenceEqual(read));

        var extents = await client.BlockStatusAsync(NbdProtocol.AllocationContext, 0, data.Length, default);
        Assert.Equal(0, extents[0].Offset);
        Assert.Equal(data.Length, extents.Sum(e => e.Length));
        for (int i = 1; i < extents.Count; i++) Assert.Equal(extents[i - 1].Offset + extents[i - 1].Length, extents[i].Offset);
        // Every byte reported as a hole reads as zeros, and the data is not inside a hole.
        foreach (var extent in extents.Where(e => (e.Flags & NbdProtocol.StateHole) != 0))
            Assert.True(data.AsSpan((int)extent.Offset, (int)extent.Length).IndexOfAnyExcept((byte)0) < 0, $"hole {extent} holds data");
        Assert.True(extents.Where(e => (e.Flags & NbdProtocol.StateHole) != 0).Sum(e => e.Length) >= 56L << 20, "the unwritten 60 MiB are reported as holes");
    }

    [Fact]
    public async Task Writes_zeroes_and_flushes_reach_nbdkit()
    {
        string socket = _scratch.Combine("k.sock");
        using var nbdkit = await NbdTools.StartAsync(socket, "nbdkit", "--foreground", "--unix", socket, "memory", "32M");
        var address = NbdAddress.Parse($"nbd+unix:///?socket={socket}");
        using var client = await NbdClient.ConnectAsync(address, [NbdProtocol.AllocationContext], default);
        Assert.False(client.IsReadOnly);
        var data = new byte[12 << 20];
        new Random(4).NextBytes(data);
        client.Write(1 << 20, data);
        client.WriteZeroes(3 << 20, 2 << 20);
        client.Flush();
        Array.Clear(data, 2 << 20, 2 << 20);

        // A second connection sees what the first wrote.
        using var reader = await NbdClient.ConnectAsync(address, [], default);
        var back = new byte[data.Length];
        reader.Read(1 << 20, back);
        Assert.True(data.AsSpan().SequenceEqual(back));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => client.Write((32 << 20) - 100, new byte[200]));
        Assert.Contains("of an export of", e.Message);
    }
}
