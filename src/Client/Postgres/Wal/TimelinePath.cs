namespace Bunker.Client.Postgres.Wal;

/// <summary>
/// The timelines recovery follows from a backup's timeline to a target timeline, each with the segment number from
/// which its files are read. A segment that holds a switch point is read from the NEW timeline (the promoted server
/// copied the old timeline's WAL up to the switch into it), so a timeline's files start at its switch point's segment.
/// </summary>
internal sealed class TimelinePath
{
    private readonly uint[] timelines;
    private readonly Lsn[] begins;         // where each timeline starts on the path (the first one: 0)
    private readonly ulong[] firstSegments; // begins[i] / segment size

    private TimelinePath(uint[] timelines, Lsn[] begins, int segmentSize)
    {
        this.timelines = timelines;
        this.begins = begins;
        firstSegments = new ulong[begins.Length];
        for (int i = 0; i < begins.Length; i++) firstSegments[i] = begins[i].SegmentNumber(segmentSize);
    }

    public uint Target => timelines[^1];

    /// <summary>The backup's timeline alone.</summary>
    public static TimelinePath Single(uint timeline, int segmentSize) => new([timeline], [default], segmentSize);

    /// <summary>From <paramref name="from"/> along <paramref name="history"/> (which must contain it) to the history's own timeline.</summary>
    public static TimelinePath Along(uint from, TimelineHistory history, int segmentSize)
    {
        var ancestors = history.Ancestors;
        int first = 0;
        while (ancestors[first].Timeline != from) first++;
        int count = ancestors.Count - first + 1;
        var timelines = new uint[count];
        var begins = new Lsn[count];
        timelines[0] = from;
        for (int i = 1; i < count; i++)
        {
            timelines[i] = i < count - 1 ? ancestors[first + i].Timeline : history.Timeline;
            begins[i] = ancestors[first + i - 1].SwitchPoint;
        }
        return new TimelinePath(timelines, begins, segmentSize);
    }

    /// <summary>The timeline whose file recovery reads for segment <paramref name="segment"/>: the last one whose files start at or before it.</summary>
    public uint TimelineAt(ulong segment)
    {
        int i = firstSegments.Length - 1;
        while (i > 0 && firstSegments[i] > segment) i--;
        return timelines[i];
    }

    /// <summary>The timelines whose WAL replay enters before <paramref name="end"/>, in path order.</summary>
    public IReadOnlyList<uint> ReachedBefore(Lsn end)
    {
        var reached = new List<uint> { timelines[0] };
        for (int i = 1; i < timelines.Length && begins[i] < end; i++) reached.Add(timelines[i]);
        return reached;
    }
}
