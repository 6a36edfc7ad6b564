namespace Bunker.Client.Postgres.Wal;

/// <summary>
/// The restorable window of one base backup: recovery can stop anywhere from <paramref name="From"/> to
/// <paramref name="To"/>. <paramref name="To"/> below <paramref name="From"/> means the archive alone cannot even
/// make the backup consistent.
/// </summary>
/// <param name="From">The backup's stop LSN: the earliest point recovery can stop.</param>
/// <param name="To">The end of the last segment of the unbroken chain (the backup's start segment's first byte when there is none).</param>
/// <param name="ToTime">When that last segment was pushed (every record in it is older); null when the chain has no segment.</param>
/// <param name="TargetTimeline">The timeline the chain is followed towards: what recovery_target_timeline should name.</param>
/// <param name="Timelines">The timelines the chain reaches, in order, starting with the backup's.</param>
/// <param name="FirstGap">The missing segment where the chain stops although later segments exist; null when none.</param>
/// <param name="Required">The segment names from the backup's start segment to <paramref name="To"/>, in replay order.</param>
public sealed record WalCoverage(
    Lsn From,
    Lsn To,
    DateTimeOffset? ToTime,
    uint TargetTimeline,
    IReadOnlyList<uint> Timelines,
    string? FirstGap,
    IReadOnlyList<string> Required);
