using Bunker.Client.Vm.Nbd;

namespace Bunker.Client.Vm;

/// <summary>
/// A disk read from an NBD export (qemu-nbd, libvirt's pull-mode backup, nbdkit). The server's base:allocation
/// context says where the holes are; they are never read.
/// </summary>
internal sealed class NbdDiskSource : IDiskSource
{
    public const string Allocation = "base:allocation";
    private const uint HoleFlag = 1;
    // Block status is asked in slices: a server may answer a huge range with a short description anyway.
    private const long StatusSlice = 1L << 30;
    private readonly NbdClient _client;

    private NbdDiskSource(NbdClient client, string address)
    {
        _client = client;
        Address = address;
    }

    public string Address { get; }
    public long Size => _client.Size;
    public string Format => "nbd";
    public NbdClient Client => _client;

    public static async Task<NbdDiskSource> OpenAsync(string uri, IReadOnlyList<string> extraContexts, CancellationToken cancellationToken)
    {
        NbdAddress address;
        try
        {
            address = NbdAddress.Parse(uri);
        }
        catch (FormatException e)
        {
            throw new UsageException($"'{uri}': {e.Message}");
        }
        try
        {
            var client = await NbdClient.ConnectAsync(address, [Allocation, .. extraContexts], cancellationToken).ConfigureAwait(false);
            return new NbdDiskSource(client, uri);
        }
        catch (Exception e) when (e is NbdException or IOException or System.Net.Sockets.SocketException)
        {
            throw new CommandFailedException($"{uri}: {e.Message}");
        }
    }

    public async Task<IReadOnlyList<(long Offset, long Length)>> DataExtentsAsync(CancellationToken cancellationToken)
    {
        if (!_client.MetaContexts.Contains(Allocation)) return [(0, Size)];
        var data = new List<(long Offset, long Length)>();
        foreach (var extent in await ExtentsAsync(Allocation, cancellationToken).ConfigureAwait(false))
        {
            if ((extent.Flags & HoleFlag) != 0) continue;
            if (data.Count > 0 && data[^1].Offset + data[^1].Length == extent.Offset)
                data[^1] = (data[^1].Offset, data[^1].Length + extent.Length);
            else
                data.Add((extent.Offset, extent.Length));
        }
        return data;
    }

    /// <summary>Every extent of <paramref name="context"/> over the whole disk.</summary>
    public async Task<List<NbdExtent>> ExtentsAsync(string context, CancellationToken cancellationToken)
    {
        var all = new List<NbdExtent>();
        for (long offset = 0; offset < Size; offset += StatusSlice)
            all.AddRange(await _client.BlockStatusAsync(context, offset, Math.Min(StatusSlice, Size - offset), cancellationToken).ConfigureAwait(false));
        return all;
    }

    public async ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken) =>
        await _client.ReadAsync(offset, destination, cancellationToken).ConfigureAwait(false);

    public ValueTask DisposeAsync() => _client.DisposeAsync();
}
