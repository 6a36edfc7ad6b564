namespace Bunker.Storage;

/// <summary>
/// Named points in the write path where a crash is most interesting. Crash tests install a hook
/// in a child process that stops there and waits to be killed with SIGKILL; production code never
/// sets it, and an unset hook costs one null check.
/// </summary>
public static class FaultPoints
{
    /// <summary>A pack is sealed and its intent recorded, but not yet in the store.</summary>
    public const string PackSealed = "pack-sealed";
    /// <summary>A pack is durable in the store, but its chunks are not yet indexed.</summary>
    public const string PackStored = "pack-stored";
    /// <summary>A snapshot's intent is recorded, but its manifest is not yet in the store.</summary>
    public const string SnapshotIntent = "snapshot-intent";
    /// <summary>A snapshot's manifest is durable in the store, but not yet in the catalog.</summary>
    public const string SnapshotStored = "snapshot-stored";
    /// <summary>A snapshot's forget intent is recorded, but its manifest is still in the store and the catalog.</summary>
    public const string SnapshotForgetIntent = "snapshot-forget-intent";

    /// <summary>A collection has marked everything live; nothing is removed yet.</summary>
    public const string GcMarked = "gc-marked";
    /// <summary>A pack is recorded as condemned; its chunks are still in the index.</summary>
    public const string GcCondemned = "gc-condemned";
    /// <summary>A rewritten pack's live chunks are in new packs and indexed there; the old pack is not yet condemned.</summary>
    public const string GcRewritten = "gc-rewritten";
    /// <summary>A condemned pack is gone from the store; its pack record is not yet.</summary>
    public const string GcPackDeleted = "gc-pack-deleted";

    public static Action<string>? Hook { get; set; }

    internal static void Hit(string point) => Hook?.Invoke(point);
}
