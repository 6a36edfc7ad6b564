using Bunker.Protocol.V1;

namespace Bunker.Client.Files.Reading;

/// <summary>Compares two files' contents by their payload chunk runs, without reading any chunk.</summary>
public static class PayloadRuns
{
    /// <summary>
    /// True when both runs list the same chunks (digest and length) in the same order. The chunker
    /// restarts at every file, so equal content cut by the same chunker gives equal runs; a different
    /// cut of equal bytes reads as different, never the other way round.
    /// </summary>
    public static async ValueTask<bool> SameAsync(PayloadIndexCursor beforePayload, CatalogEntry before, PayloadIndexCursor afterPayload, CatalogEntry after)
    {
        ArgumentNullException.ThrowIfNull(beforePayload);
        ArgumentNullException.ThrowIfNull(afterPayload);
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        if (before.ChunkCount != after.ChunkCount) return false;
        for (ulong i = 0; i < before.ChunkCount; i++)
        {
            var left = await beforePayload.ReadAtAsync(checked((long)(before.FirstChunk + i))).ConfigureAwait(false);
            var right = await afterPayload.ReadAtAsync(checked((long)(after.FirstChunk + i))).ConfigureAwait(false);
            if (left.Digest != right.Digest || left.Length != right.Length) return false;
        }
        return true;
    }
}
