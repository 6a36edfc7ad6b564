namespace Bunker.Client.Vm;

/// <summary>A disk to back up: a raw image file or block device, or an NBD export.</summary>
internal interface IDiskSource : IAsyncDisposable
{
    long Size { get; }
    /// <summary>What the source was, for the snapshot's label: raw, block, nbd.</summary>
    string Format { get; }
    /// <summary>
    /// The ranges that may hold data, in order; everything else reads as zeros and is never read. A source that
    /// cannot tell returns the whole disk.
    /// </summary>
    Task<IReadOnlyList<(long Offset, long Length)>> DataExtentsAsync(CancellationToken cancellationToken);
    /// <summary>Reads exactly destination.Length bytes at offset (within Size).</summary>
    ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken);
}
