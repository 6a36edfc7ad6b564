namespace Bunker.Storage.Stores.Composite;

/// <summary>When a pack leaves the hot tier for the cold one. Any rule that holds moves it; with none set, nothing moves.</summary>
public sealed record TierPolicy
{
    /// <summary>Packs older than this (since they were sealed) move.</summary>
    public TimeSpan? MoveAfter { get; init; }
    /// <summary>Packs not read for this long (since the daemon started, for those never read) move.</summary>
    public TimeSpan? MoveUnreadAfter { get; init; }
    /// <summary>While the hot tier holds more than this many bytes of packs, the oldest move.</summary>
    public long? HotMaxBytes { get; init; }

    public bool MovesAnything => MoveAfter is not null || MoveUnreadAfter is not null || HotMaxBytes is not null;

    public void Validate()
    {
        if (MoveAfter < TimeSpan.Zero || MoveUnreadAfter < TimeSpan.Zero) throw new ArgumentException("tier ages must not be negative");
        if (HotMaxBytes < 0) throw new ArgumentException("HotMaxBytes must not be negative");
    }
}
