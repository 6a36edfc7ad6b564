using Bunker.Client.Postgres.Wal;

namespace Bunker.Client.Tests.Postgres;

/// <summary>Archive listings and histories for the WAL chain tests, with 16 MiB segments; segment n is pushed at minute n.</summary>
internal static class WalArchiveBuilder
{
    public const int SegmentSize = 16 << 20;

    public static readonly DateTimeOffset Epoch = new(2025, 3, 1, 14, 0, 0, TimeSpan.Zero);

    public static readonly IReadOnlyDictionary<uint, TimelineHistory> NoHistories = new Dictionary<uint, TimelineHistory>();

    public static string Name(uint timeline, ulong segment) => WalFileName.SegmentName(timeline, segment, SegmentSize);

    public static ArchivedWal Archived(string name, DateTimeOffset pushedAt) => new(WalFileName.Parse(name, SegmentSize), pushedAt);

    public static ArchivedWal Segment(uint timeline, ulong segment) => Archived(Name(timeline, segment), Epoch.AddMinutes(segment));

    /// <summary>Segments <paramref name="first"/>..<paramref name="last"/> of one timeline, except those in <paramref name="except"/>.</summary>
    public static IEnumerable<ArchivedWal> Segments(uint timeline, ulong first, ulong last, params ulong[] except)
    {
        for (ulong segment = first; segment <= last; segment++)
        {
            if (!except.Contains(segment)) yield return Segment(timeline, segment);
        }
    }

    public static IEnumerable<string> Names(uint timeline, ulong first, ulong last)
    {
        for (ulong segment = first; segment <= last; segment++) yield return Name(timeline, segment);
    }

    /// <summary>Histories as the lead parses them from archived files: timeline, file content.</summary>
    public static IReadOnlyDictionary<uint, TimelineHistory> Histories(params (uint Timeline, string Text)[] files) =>
        files.ToDictionary(file => file.Timeline, file => TimelineHistory.Parse(file.Timeline, file.Text));

    public static Lsn L(string text) => Lsn.Parse(text);
}
