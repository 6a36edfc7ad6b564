namespace Bunker.Bench.Measurement;

/// <summary>
/// Drops the kernel page cache so that every tool reads its input from disk alike. Needs root
/// and a writable /proc/sys; in a container it is often refused, and then runs are warm-cache.
/// </summary>
internal static class PageCache
{
    /// <summary>Returns null when the cache was dropped, otherwise why it could not be.</summary>
    public static string? TryDrop()
    {
        try
        {
            Libc.Sync();
            File.WriteAllText("/proc/sys/vm/drop_caches", "3\n");
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return e.Message;
        }
    }

    private static class Libc
    {
        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "sync")]
        public static extern void Sync();
    }
}
