namespace Bunker.Chunking;

/// <summary>
/// Decides where chunks end. Stateless between calls: every call starts at a chunk start.
/// </summary>
public interface IChunkBoundary
{
    /// <summary>The largest chunk this boundary ever returns.</summary>
    int MaxSize { get; }

    /// <summary>
    /// Returns the length of the chunk that starts at <c>data[0]</c>.
    /// </summary>
    /// <param name="data">
    /// Bytes from the chunk start. Unless <paramref name="final"/> is set, callers pass at least
    /// <see cref="MaxSize"/> bytes; bytes past <see cref="MaxSize"/> are never looked at.
    /// </param>
    /// <param name="final">True when <paramref name="data"/> runs to the end of the stream.</param>
    /// <returns>
    /// A length in [1, min(MaxSize, data.Length)]. It equals data.Length only when
    /// <paramref name="final"/> is set, or when data.Length == MaxSize and no cut point was found.
    /// </returns>
    /// <exception cref="ArgumentException">
    /// <paramref name="data"/> is empty, or shorter than <see cref="MaxSize"/> without <paramref name="final"/>.
    /// </exception>
    int NextCut(ReadOnlySpan<byte> data, bool final);
}

internal static class ChunkBoundaryGuard
{
    /// <summary>Checks the caller's side of the <see cref="IChunkBoundary.NextCut"/> contract.</summary>
    public static void CheckInput(int length, int maxSize, bool final)
    {
        if (length == 0)
        {
            throw new ArgumentException("Cannot cut a chunk from empty data.", "data");
        }

        if (!final && length < maxSize)
        {
            throw new ArgumentException(
                $"NextCut needs at least MaxSize ({maxSize}) bytes unless final; got {length}.", "data");
        }
    }
}
