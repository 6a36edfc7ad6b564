using Bunker.Protocol.Grpc;

namespace Bunker.Server.Services;

/// <summary>The limits on a snapshot's labels, which a session may give at its start and at its commit.</summary>
internal static class SnapshotLabels
{
    public const int MaxCount = 1000;
    public const int MaxKeyLength = 255;
    public const int MaxValueLength = 4096;

    /// <summary>
    /// <paramref name="existing"/> with <paramref name="added"/> over it, each label checked; <paramref name="where"/>
    /// names the request in the error. A malformed label fails the call and changes nothing.
    /// </summary>
    public static Dictionary<string, string> Merge(IReadOnlyDictionary<string, string> existing, IDictionary<string, string> added, string where)
    {
        var merged = new Dictionary<string, string>(existing, StringComparer.Ordinal);
        foreach (var (key, value) in added)
        {
            if (key.Length == 0 || key.Length > MaxKeyLength || key.Contains('\0'))
                throw ServiceErrors.Error(StatusCode.InvalidArgument, $"{where}: a label name must be 1 to {MaxKeyLength} characters without NUL");
            if (value.Length > MaxValueLength || value.Contains('\0'))
                throw ServiceErrors.Error(StatusCode.InvalidArgument, $"{where}: label '{key}' must be at most {MaxValueLength} characters without NUL");
            merged[key] = value;
        }
        if (merged.Count > MaxCount)
            throw ServiceErrors.Error(StatusCode.InvalidArgument, $"{where}: a snapshot carries at most {MaxCount} labels");
        return merged;
    }
}
