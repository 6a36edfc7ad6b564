namespace Bunker.Client.Vm.Nbd;

/// <summary>What <see cref="NbdServer"/> serves: a read-only disk of a fixed size. Implementations are called concurrently.</summary>
internal interface INbdExport
{
    long Size { get; }

    /// <summary>Fills <paramref name="destination"/> with the bytes at <paramref name="offset"/> (the server checks the range against Size first).</summary>
    ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken);

    /// <summary>base:allocation over [offset, offset+length): contiguous extents from offset, each flagged hole and zero, or data (0).</summary>
    ValueTask<IReadOnlyList<NbdExtent>> AllocationAsync(long offset, long length, CancellationToken cancellationToken);
}
