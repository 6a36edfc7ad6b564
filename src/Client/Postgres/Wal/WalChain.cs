namespace Bunker.Client.Postgres.Wal;

/// <summary>
/// Follows WAL from a base backup through the archive, the way recovery will read it: which segments, from which
/// timelines, up to where. Pure logic over a listing; the caller lists the archive and parses the history files.
/// </summary>
public static class WalChain
{
    /// <summary>
    /// The most segments <see cref="Needed"/> will list (16 TiB of WAL at 16 MiB): a mistyped target far past the
    /// archive is refused rather than answered with millions of missing names.
    /// </summary>
    public const int MaxNeededSegments = 1 << 20;

    /// <summary>
    /// Follows the WAL from a base backup (its timeline and start/stop LSN) through the archive. The timeline followed is
    /// the highest one whose history contains the backup's timeline and left it at or after the backup's stop LSN (one
    /// that branched earlier cannot continue the backup). For each segment number the file is that of the timeline
    /// current there on that path. The chain starts at the backup's start segment and goes on while segments exist; the
    /// first missing one is <see cref="WalCoverage.FirstGap"/> only when a later segment on the path exists (a missing
    /// tail is just the end of the archive). Coverage is returned even when the chain does not reach the stop LSN
    /// (To &lt; From); the caller decides. <see cref="ArgumentException"/> on inconsistent arguments.
    /// </summary>
    public static WalCoverage Follow(uint backupTimeline, Lsn backupStart, Lsn backupStop,
        IReadOnlyCollection<ArchivedWal> archive, IReadOnlyDictionary<uint, TimelineHistory> histories, int segmentSize)
    {
        CheckBackup(backupTimeline, backupStart, backupStop, segmentSize);
        CheckHistories(histories);
        var segments = IndexSegments(archive, segmentSize);
        var path = LongestContinuation(backupTimeline, backupStop, histories, segmentSize);

        var required = new List<string>();
        DateTimeOffset? toTime = null;
        ulong next = backupStart.SegmentNumber(segmentSize);
        while (segments.TryGetValue((path.TimelineAt(next), next), out var pushedAt))
        {
            required.Add(WalFileName.SegmentName(path.TimelineAt(next), next, segmentSize));
            toTime = pushedAt;
            next++;
        }
        var to = SegmentStart(next, segmentSize);
        string? firstGap = AnyOnPathAfter(next, segments, path) ? WalFileName.SegmentName(path.TimelineAt(next), next, segmentSize) : null;
        return new WalCoverage(backupStop, to, toTime, path.Target, path.ReachedBefore(to), firstGap, required);
    }

    /// <summary>
    /// The segments recovery reads from a backup's start to <paramref name="target"/> on <paramref name="targetTimeline"/>,
    /// in order, and those of them the archive lacks: the restore command's "target outside the WAL" check.
    /// <see cref="ArgumentException"/> when the target timeline does not continue the backup's, the target precedes the
    /// backup, or more than <see cref="MaxNeededSegments"/> segments would be needed.
    /// </summary>
    public static (IReadOnlyList<string> Needed, IReadOnlyList<string> Missing) Needed(uint backupTimeline, Lsn backupStart,
        Lsn target, uint targetTimeline, IReadOnlyCollection<ArchivedWal> archive, IReadOnlyDictionary<uint, TimelineHistory> histories, int segmentSize)
    {
        CheckBackup(backupTimeline, backupStart, backupStart, segmentSize);
        if (target < backupStart) throw new ArgumentException($"target {target} is before the backup's start {backupStart}", nameof(target));
        CheckHistories(histories);
        var segments = IndexSegments(archive, segmentSize);
        var path = PathTo(targetTimeline, backupTimeline, backupStart, histories, segmentSize);

        ulong first = backupStart.SegmentNumber(segmentSize), last = target.SegmentNumber(segmentSize);
        if (last - first >= MaxNeededSegments)
            throw new ArgumentException($"target {target} is {last - first + 1} segments past the backup's start {backupStart}; more than {MaxNeededSegments} is not a plausible restore", nameof(target));
        var needed = new List<string>((int)(last - first + 1));
        var missing = new List<string>();
        for (ulong segment = first; segment <= last; segment++)
        {
            uint timeline = path.TimelineAt(segment);
            string name = WalFileName.SegmentName(timeline, segment, segmentSize);
            needed.Add(name);
            if (!segments.ContainsKey((timeline, segment))) missing.Add(name);
        }
        return (needed, missing);
    }

    private static void CheckBackup(uint backupTimeline, Lsn backupStart, Lsn backupStop, int segmentSize)
    {
        WalSegmentSize.Checked(segmentSize);
        if (backupTimeline == 0) throw new ArgumentOutOfRangeException(nameof(backupTimeline), "timeline 0 does not exist; timelines start at 1");
        if (backupStop < backupStart) throw new ArgumentException($"backup stop {backupStop} is before its start {backupStart}", nameof(backupStop));
    }

    private static void CheckHistories(IReadOnlyDictionary<uint, TimelineHistory> histories)
    {
        ArgumentNullException.ThrowIfNull(histories);
        foreach (var (timeline, history) in histories)
        {
            if (history.Timeline != timeline) throw new ArgumentException($"the history filed under timeline {timeline} is that of timeline {history.Timeline}", nameof(histories));
        }
    }

    /// <summary>(timeline, segment) of every whole segment, with its earliest push time; .partial and .backup files are never read as chain segments.</summary>
    private static Dictionary<(uint Timeline, ulong Segment), DateTimeOffset> IndexSegments(IReadOnlyCollection<ArchivedWal> archive, int segmentSize)
    {
        ArgumentNullException.ThrowIfNull(archive);
        var segments = new Dictionary<(uint, ulong), DateTimeOffset>(archive.Count);
        foreach (var wal in archive)
        {
            var file = wal.File;
            if (file.Name is null) throw new ArgumentException("the archive listing holds an unparsed (default) WalFileName", nameof(archive));
            if (!file.WasParsedFor(segmentSize))
                throw new ArgumentException($"'{file.Name}' in the archive listing was parsed for another segment size than {WalSegmentSize.Describe(segmentSize)}", nameof(archive));
            if (file.Kind != WalFileKind.Segment) continue;
            var key = (file.Timeline, file.Segment);
            // A segment listed twice keeps its first push: from then on it was durable, and every record in it older.
            if (!segments.TryGetValue(key, out var known) || wal.PushedAt < known) segments[key] = wal.PushedAt;
        }
        return segments;
    }

    /// <summary>The path to the highest timeline that continues the backup past its stop LSN (the backup's own when none does).</summary>
    private static TimelinePath LongestContinuation(uint backupTimeline, Lsn backupStop, IReadOnlyDictionary<uint, TimelineHistory> histories, int segmentSize)
    {
        TimelineHistory? best = null;
        foreach (var (timeline, history) in histories)
        {
            if (timeline == backupTimeline || (best is not null && timeline <= best.Timeline) || !history.Contains(backupTimeline)) continue;
            if (history.EndOf(backupTimeline) >= backupStop) best = history;
        }
        return best is null ? TimelinePath.Single(backupTimeline, segmentSize) : TimelinePath.Along(backupTimeline, best, segmentSize);
    }

    private static TimelinePath PathTo(uint targetTimeline, uint backupTimeline, Lsn backupStart, IReadOnlyDictionary<uint, TimelineHistory> histories, int segmentSize)
    {
        if (targetTimeline == backupTimeline) return TimelinePath.Single(backupTimeline, segmentSize);
        if (!histories.TryGetValue(targetTimeline, out var history))
            throw new ArgumentException($"no history file for timeline {targetTimeline}, so how it continues the backup's timeline {backupTimeline} is unknown", nameof(targetTimeline));
        if (!history.Contains(backupTimeline))
            throw new ArgumentException($"timeline {targetTimeline} does not descend from the backup's timeline {backupTimeline}", nameof(targetTimeline));
        if (history.EndOf(backupTimeline) is { } branch && branch < backupStart)
            throw new ArgumentException($"timeline {targetTimeline} left the backup's timeline {backupTimeline} at {branch}, before the backup started at {backupStart}", nameof(targetTimeline));
        return TimelinePath.Along(backupTimeline, history, segmentSize);
    }

    private static bool AnyOnPathAfter(ulong segment, Dictionary<(uint Timeline, ulong Segment), DateTimeOffset> segments, TimelinePath path)
    {
        foreach (var (key, _) in segments)
        {
            if (key.Segment > segment && path.TimelineAt(key.Segment) == key.Timeline) return true;
        }
        return false;
    }

    /// <summary>The LSN of a segment's first byte; saturates for the segment past the last one of the address space.</summary>
    private static Lsn SegmentStart(ulong segment, int segmentSize) =>
        new(segment >= ulong.MaxValue / (ulong)segmentSize + 1 ? ulong.MaxValue : segment * (ulong)segmentSize);
}
