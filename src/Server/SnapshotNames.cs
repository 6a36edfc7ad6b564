using Bunker.Index;
using StorageRepository = Bunker.Storage.Repository;

namespace Bunker.Server;

/// <summary>
/// How a snapshot is named: its full hex id, a unique hex prefix of it, or <see cref="Latest"/>.
/// bunkerd's local commands and GetSnapshot both resolve names here; they differ only in the
/// shortest prefix they take, in the filter, and in how they report a miss.
/// </summary>
internal static class SnapshotNames
{
    public const string Latest = "latest";
    private const int FullLength = SnapshotId.Size * 2;

    /// <summary>Whether <paramref name="name"/> is <see cref="Latest"/>, or <paramref name="minPrefix"/> to 64 hex digits.</summary>
    public static bool IsWellFormed(string name, int minPrefix)
    {
        if (name == Latest)
            return true;
        if (name.Length < minPrefix || name.Length > FullLength)
            return false;
        foreach (char c in name)
        {
            if (!char.IsAsciiHexDigit(c)) return false;
        }
        return true;
    }

    /// <summary>
    /// Resolves a well-formed name: a full id is looked up directly (unfiltered); <see cref="Latest"/>
    /// is the newest snapshot that <paramref name="filter"/> lets through; a prefix is every one it
    /// lets through whose id starts so. Null when none; <paramref name="matches"/> above 1 means the
    /// prefix is ambiguous.
    /// </summary>
    public static SnapshotRecord? Resolve(StorageRepository repository, string name, Func<SnapshotRecord, bool>? filter, out int matches)
    {
        if (name.Length == FullLength)
        {
            bool found = repository.Index.Snapshots.TryGet(repository.Id, SnapshotId.Parse(name), out var exact);
            matches = found ? 1 : 0;
            return exact;
        }
        bool latest = name == Latest;
        SnapshotRecord? match = null;
        matches = 0;
        // Oldest first, so the last one taken is the newest.
        foreach (var record in repository.ListSnapshots())
        {
            if (!latest && !record.Id.ToString().StartsWith(name, StringComparison.OrdinalIgnoreCase)) continue;
            if (filter is not null && !filter(record)) continue;
            match = record;
            matches = latest ? 1 : matches + 1;
        }
        return match;
    }
}
