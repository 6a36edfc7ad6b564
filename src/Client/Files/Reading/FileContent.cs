using System.Buffers;
using Bunker.Client.Files.Catalog;
using Bunker.Protocol.V1;

namespace Bunker.Client.Files.Reading;

/// <summary>A regular file's logical bytes from its stored payload: data extents in place, holes as zeros.</summary>
public static class FileContent
{
    private const int CopyBufferSize = 1 << 20;

    /// <summary>
    /// Writes <paramref name="entry"/>'s <c>size</c> bytes to <paramref name="output"/>, taking the data
    /// extents (or the one extent [0, size)) from <paramref name="stored"/>, which must hold exactly their
    /// bytes, and zeros between them.
    /// </summary>
    /// <exception cref="InvalidDataException">The extents overlap, run past the size, or the stored bytes are too few or too many.</exception>
    public static async Task WriteAsync(CatalogEntry entry, Stream stored, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(output);
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            ulong position = 0;
            if (entry.Extents.Count == 0)
            {
                await CopyAsync(entry, stored, output, entry.Size, buffer, cancellationToken).ConfigureAwait(false);
                position = entry.Size;
            }
            foreach (var extent in entry.Extents)
            {
                if (extent.Offset < position || extent.Length > entry.Size || extent.Offset > entry.Size - extent.Length)
                    throw Damaged(entry, $"its extent [{extent.Offset}, +{extent.Length}) overlaps another or runs past its size {entry.Size}");
                await ZerosAsync(output, extent.Offset - position, buffer, cancellationToken).ConfigureAwait(false);
                await CopyAsync(entry, stored, output, extent.Length, buffer, cancellationToken).ConfigureAwait(false);
                position = extent.Offset + extent.Length;
            }
            await ZerosAsync(output, entry.Size - position, buffer, cancellationToken).ConfigureAwait(false);
            if (await stored.ReadAsync(buffer.AsMemory(0, 1), cancellationToken).ConfigureAwait(false) != 0)
                throw Damaged(entry, "its payload run holds more bytes than its extents");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task CopyAsync(CatalogEntry entry, Stream stored, Stream output, ulong length, byte[] buffer, CancellationToken cancellationToken)
    {
        while (length > 0)
        {
            int want = (int)Math.Min((ulong)buffer.Length, length);
            int read = await stored.ReadAsync(buffer.AsMemory(0, want), cancellationToken).ConfigureAwait(false);
            if (read == 0)
                throw Damaged(entry, $"its payload run ends {length} bytes early");
            await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            length -= (ulong)read;
        }
    }

    private static async Task ZerosAsync(Stream output, ulong length, byte[] buffer, CancellationToken cancellationToken)
    {
        if (length == 0) return;
        Array.Clear(buffer);
        while (length > 0)
        {
            int n = (int)Math.Min((ulong)buffer.Length, length);
            await output.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
            length -= (ulong)n;
        }
    }

    private static InvalidDataException Damaged(CatalogEntry entry, string what) =>
        new($"'{CatalogPath.Display(entry.Path.Span)}' cannot be read: {what}");
}
