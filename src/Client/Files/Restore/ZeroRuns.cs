using Microsoft.Win32.SafeHandles;

namespace Bunker.Client.Files.Restore;

/// <summary>
/// Writes data into a fresh file, leaving out every 4 KiB block (aligned to the file) that is all zeros:
/// the file was truncated to its size, so what is not written reads back as zeros and takes no space.
/// </summary>
internal static class ZeroRuns
{
    public const int BlockSize = 4096;

    /// <summary>Writes <paramref name="data"/> at <paramref name="fileOffset"/>; returns the bytes actually written.</summary>
    public static long Write(SafeFileHandle handle, ReadOnlySpan<byte> data, long fileOffset)
    {
        long written = 0;
        int runStart = -1;
        int at = 0;
        while (at < data.Length)
        {
            // The block ends at the next 4 KiB boundary of the file, so holes line up with filesystem blocks.
            int end = (int)Math.Min(data.Length, at + (BlockSize - (fileOffset + at) % BlockSize));
            bool zero = data[at..end].IndexOfAnyExcept((byte)0) < 0;
            if (!zero && runStart < 0) runStart = at;
            if (zero && runStart >= 0)
            {
                written += Flush(handle, data[runStart..at], fileOffset + runStart);
                runStart = -1;
            }
            at = end;
        }
        if (runStart >= 0) written += Flush(handle, data[runStart..], fileOffset + runStart);
        return written;
    }

    private static long Flush(SafeFileHandle handle, ReadOnlySpan<byte> run, long offset)
    {
        RandomAccess.Write(handle, run, offset);
        return run.Length;
    }
}
