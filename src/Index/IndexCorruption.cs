namespace Bunker.Index;

internal static class IndexCorruption
{
    public static IndexCorruptException At(string family, string key, Exception cause)
        => new($"index column family '{family}', key {key}: stored value is corrupt ({cause.Message}); " +
               "the index is a cache and can be rebuilt from the pack store", cause);
}
