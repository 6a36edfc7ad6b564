using Bunker.Client.Vm.Nbd;

namespace Bunker.Client.Tests.Vm;

/// <summary>A disk in memory for the NBD tests: its bytes, and the ranges it calls holes (which must hold zeros).</summary>
internal sealed class MemoryExport(byte[] data, IReadOnlyList<(long Offset, long Length)> holes) : INbdExport
{
    public byte[] Data { get; } = data;
    public long Size => Data.LongLength;
    public int Reads;

    /// <summary>A disk of <paramref name="size"/> bytes, random except in <paramref name="holes"/>.</summary>
    public static MemoryExport Random(int size, int seed, params (long Offset, long Length)[] holes)
    {
        var data = new byte[size];
        new Random(seed).NextBytes(data);
        foreach (var (offset, length) in holes) Array.Clear(data, (int)offset, (int)length);
        return new MemoryExport(data, holes);
    }

    public ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Reads);
        Data.AsMemory((int)offset, destination.Length).CopyTo(destination);
        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<NbdExtent>> AllocationAsync(long offset, long length, CancellationToken cancellationToken)
    {
        var extents = new List<NbdExtent>();
        long end = offset + length;
        long at = offset;
        foreach (var (holeOffset, holeLength) in holes.OrderBy(h => h.Offset))
        {
            long from = Math.Max(at, holeOffset), to = Math.Min(end, holeOffset + holeLength);
            if (to <= from) continue;
            if (from > at) extents.Add(new NbdExtent(at, from - at, 0));
            extents.Add(new NbdExtent(from, to - from, NbdProtocol.StateHole | NbdProtocol.StateZero));
            at = to;
        }
        if (at < end) extents.Add(new NbdExtent(at, end - at, 0));
        return ValueTask.FromResult<IReadOnlyList<NbdExtent>>(extents);
    }
}
