using System.Globalization;

namespace Bunker.Client.Postgres.Wal;

/// <summary>
/// A parsed "TTTTTTTT.history" file: the ancestors of a timeline, each with the LSN where the next timeline branched
/// off it. PostgreSQL writes one line per ancestor, "parentTLI&lt;TAB&gt;switchLSN&lt;TAB&gt;reason", the timeline in
/// decimal; like PostgreSQL's reader, this ignores blank lines and lines starting with '#'.
/// </summary>
public sealed class TimelineHistory
{
    private readonly (uint Timeline, Lsn SwitchPoint)[] ancestors;

    private TimelineHistory(uint timeline, (uint Timeline, Lsn SwitchPoint)[] ancestors)
    {
        Timeline = timeline;
        this.ancestors = ancestors;
    }

    /// <summary>The timeline the file is for.</summary>
    public uint Timeline { get; }

    /// <summary>The ancestor timelines, oldest first, each with the LSN where it ended (where its child began).</summary>
    public IReadOnlyList<(uint Timeline, Lsn SwitchPoint)> Ancestors => ancestors;

    /// <summary>Parses the history of <paramref name="timeline"/>; <see cref="InvalidDataException"/> naming the line on malformed content.</summary>
    public static TimelineHistory Parse(uint timeline, string text)
    {
        if (timeline < 2) throw new ArgumentOutOfRangeException(nameof(timeline), timeline, "only timelines from 2 up have a history file");
        ArgumentNullException.ThrowIfNull(text);
        string file = WalFileName.HistoryName(timeline);
        var entries = new List<(uint Timeline, Lsn SwitchPoint)>();
        int lineNumber = 0;
        foreach (var rawLine in text.AsSpan().EnumerateLines())
        {
            lineNumber++;
            var line = rawLine.Trim();
            if (line.IsEmpty || line[0] == '#') continue;
            var entry = ParseLine(line, out string? problem);
            if (problem is null && entries.Count > 0)
            {
                var previous = entries[^1];
                if (entry.Timeline <= previous.Timeline) problem = $"timeline {entry.Timeline} does not follow {previous.Timeline} in increasing order";
                else if (entry.SwitchPoint < previous.SwitchPoint) problem = $"switch point {entry.SwitchPoint} is before the previous one, {previous.SwitchPoint}";
            }
            if (problem is null && entry.Timeline >= timeline) problem = $"ancestor timeline {entry.Timeline} is not below {timeline}, the timeline the file is for";
            if (problem is not null) throw new InvalidDataException($"{file} line {lineNumber}: {problem}: \"{line}\"");
            entries.Add(entry);
        }
        if (entries.Count == 0) throw new InvalidDataException($"{file} has no entries: every timeline from 2 up descends from another");
        return new TimelineHistory(timeline, entries.ToArray());
    }

    /// <summary>
    /// Where, following this timeline's history, <paramref name="timeline"/> ends: the LSN where the next timeline on
    /// the path branched off it; null when it is this timeline (it has not ended).
    /// <see cref="ArgumentOutOfRangeException"/> when it is not on the path.
    /// </summary>
    public Lsn? EndOf(uint timeline)
    {
        if (timeline == Timeline) return null;
        foreach (var (ancestor, switchPoint) in ancestors)
        {
            if (ancestor == timeline) return switchPoint;
        }
        throw new ArgumentOutOfRangeException(nameof(timeline), timeline, $"timeline {timeline} is not in the history of timeline {Timeline}");
    }

    /// <summary>Whether <paramref name="timeline"/> is this timeline or one of its ancestors.</summary>
    public bool Contains(uint timeline)
    {
        if (timeline == Timeline) return true;
        foreach (var (ancestor, _) in ancestors)
        {
            if (ancestor == timeline) return true;
        }
        return false;
    }

    /// <summary>One "parentTLI switchLSN [reason]" line. PostgreSQL reads it with sscanf("%u\t%X/%X"), where the tab matches any whitespace, so any whitespace is accepted between fields.</summary>
    private static (uint Timeline, Lsn SwitchPoint) ParseLine(ReadOnlySpan<char> line, out string? problem)
    {
        problem = null;
        int timelineEnd = line.IndexOfAnyExcept("0123456789");
        if (timelineEnd == 0 || !uint.TryParse(line[..(timelineEnd < 0 ? line.Length : timelineEnd)], NumberStyles.None, CultureInfo.InvariantCulture, out uint parent) || parent == 0)
        {
            problem = "expected a decimal timeline from 1 up at the start of the line";
            return default;
        }
        var rest = timelineEnd < 0 ? ReadOnlySpan<char>.Empty : line[timelineEnd..];
        if (rest.IsEmpty || !char.IsWhiteSpace(rest[0]))
        {
            problem = "expected whitespace and a switch point LSN after the timeline";
            return default;
        }
        rest = rest.TrimStart();
        int lsnEnd = rest.IndexOfAny(" \t");
        var lsnText = lsnEnd < 0 ? rest : rest[..lsnEnd];
        if (!Lsn.TryParse(lsnText, out var switchPoint))
        {
            problem = $"'{lsnText}' is not a switch point LSN (X/Y)";
            return default;
        }
        return (parent, switchPoint);
    }
}
