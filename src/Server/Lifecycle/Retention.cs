using System.Globalization;

namespace Bunker.Server.Lifecycle;

/// <summary>
/// What to keep. The rules are ORed: a snapshot stays when any rule keeps it. Calendar rules keep the newest snapshot of
/// each of the N most recent hours, days, ISO weeks, months or years that hold a snapshot, in <see cref="TimeZone"/>.
/// </summary>
public sealed record RetentionRules
{
    public int KeepLast { get; init; }
    public int KeepHourly { get; init; }
    public int KeepDaily { get; init; }
    public int KeepWeekly { get; init; }
    public int KeepMonthly { get; init; }
    public int KeepYearly { get; init; }
    /// <summary>Keeps every snapshot within this span of the newest one in its group.</summary>
    public TimeSpan? KeepWithin { get; init; }
    /// <summary>Keeps the snapshots with these tags: every one, or with <c>TAG:N</c>, the N newest of them.</summary>
    public IReadOnlyList<string> KeepTags { get; init; } = [];
    /// <summary>What the calendar buckets are counted in (an IANA zone id); DST and year ends fall where that zone has them.</summary>
    public string TimeZone { get; init; } = "UTC";
    /// <summary>Snapshots are judged within groups of the same values of these: host, source (kind and source id), paths, tags.</summary>
    public IReadOnlyList<string> GroupBy { get; init; } = ["host", "source"];

    public static IReadOnlyList<string> GroupKeys { get; } = ["host", "source", "paths", "tags"];

    public bool KeepsAnything => KeepLast > 0 || KeepHourly > 0 || KeepDaily > 0 || KeepWeekly > 0 || KeepMonthly > 0 || KeepYearly > 0
        || KeepWithin is not null || KeepTags.Count > 0;

    /// <exception cref="ArgumentException">A negative count, no rule at all, an unknown zone or group key.</exception>
    public TimeZoneInfo Validate()
    {
        if (KeepLast < 0 || KeepHourly < 0 || KeepDaily < 0 || KeepWeekly < 0 || KeepMonthly < 0 || KeepYearly < 0)
            throw new ArgumentException("keep counts must not be negative");
        if (KeepWithin is { } within && within < TimeSpan.Zero) throw new ArgumentException("keep-within must not be negative");
        if (!KeepsAnything) throw new ArgumentException("a retention policy needs at least one keep rule (it would remove everything)");
        foreach (var key in GroupBy)
            if (!GroupKeys.Contains(key)) throw new ArgumentException($"group-by '{key}' is not one of {string.Join(", ", GroupKeys)}");
        foreach (var tag in KeepTags) TagRule.Parse(tag);
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(TimeZone);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new ArgumentException($"time zone '{TimeZone}' is not known here", e);
        }
    }
}

/// <summary>A snapshot as retention sees it.</summary>
public sealed record RetainedSnapshot(string Id, string Host, string SourceKind, string SourceId, IReadOnlyList<string> Paths, IReadOnlyList<string> Tags,
    DateTimeOffset Time, bool Protected);

/// <summary>One snapshot's fate: kept, with every rule that keeps it, or removed.</summary>
public sealed record RetentionDecision(RetainedSnapshot Snapshot, IReadOnlyList<string> Reasons)
{
    public bool Keep => Reasons.Count > 0;
}

/// <summary>One group's decisions, newest first.</summary>
public sealed record RetentionGroup(string Key, IReadOnlyList<RetentionDecision> Decisions);

/// <summary>A group the policy would empty: the whole forget is refused rather than lose a source's last snapshot.</summary>
public sealed class RetentionRefusedException(string message) : InvalidOperationException(message);

/// <summary>
/// restic's forget semantics, judged per group: snapshots newest first; keep-last keeps the first N; each calendar rule
/// walks them keeping the first (newest) of each new bucket until it has kept N; keep-within keeps those within the
/// span of the group's newest; keep-tag those tagged; a protected snapshot always stays. Ties in time are broken by id.
/// </summary>
public static class Retention
{
    public static List<RetentionGroup> Plan(IEnumerable<RetainedSnapshot> snapshots, RetentionRules rules)
    {
        var zone = rules.Validate();
        var groups = new SortedDictionary<string, List<RetainedSnapshot>>(StringComparer.Ordinal);
        foreach (var snapshot in snapshots)
        {
            string key = GroupKey(snapshot, rules.GroupBy);
            if (!groups.TryGetValue(key, out var list)) groups[key] = list = [];
            list.Add(snapshot);
        }
        var plan = new List<RetentionGroup>(groups.Count);
        foreach (var (key, members) in groups)
        {
            members.Sort((a, b) => b.Time != a.Time ? b.Time.CompareTo(a.Time) : string.CompareOrdinal(b.Id, a.Id));
            var reasons = members.Select(_ => new List<string>()).ToArray();
            for (int i = 0; i < members.Count && i < rules.KeepLast; i++) reasons[i].Add("last");
            Calendar(members, reasons, rules.KeepHourly, "hourly", t => t.ToString("yyyy-MM-dd HH", CultureInfo.InvariantCulture), zone);
            Calendar(members, reasons, rules.KeepDaily, "daily", t => t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), zone);
            Calendar(members, reasons, rules.KeepWeekly, "weekly", t => $"{ISOWeek.GetYear(t.DateTime)}-W{ISOWeek.GetWeekOfYear(t.DateTime):D2}", zone);
            Calendar(members, reasons, rules.KeepMonthly, "monthly", t => t.ToString("yyyy-MM", CultureInfo.InvariantCulture), zone);
            Calendar(members, reasons, rules.KeepYearly, "yearly", t => t.ToString("yyyy", CultureInfo.InvariantCulture), zone);
            if (rules.KeepWithin is { } within && members.Count > 0)
            {
                var since = members[0].Time - within;
                for (int i = 0; i < members.Count; i++)
                    if (members[i].Time >= since) reasons[i].Add($"within {Durations.Format(within)}");
            }
            foreach (var text in rules.KeepTags)
            {
                var rule = TagRule.Parse(text);
                int left = rule.Newest ?? int.MaxValue;
                for (int i = 0; i < members.Count && left > 0; i++)
                {
                    if (!members[i].Tags.Contains(rule.Tag)) continue;
                    reasons[i].Add(rule.Newest is null ? $"tag {rule.Tag}" : $"tag {rule.Tag} (newest {rule.Newest})");
                    left--;
                }
            }
            for (int i = 0; i < members.Count; i++)
                if (members[i].Protected) reasons[i].Add("protected");
            if (members.Count > 0 && reasons.All(r => r.Count == 0))
                throw new RetentionRefusedException($"the policy would remove all {members.Count} snapshot(s) of group {key}; refused (add a rule that keeps at least the newest)");
            plan.Add(new RetentionGroup(key, [.. members.Select((s, i) => new RetentionDecision(s, reasons[i]))]));
        }
        return plan;
    }

    private static void Calendar(List<RetainedSnapshot> newestFirst, List<string>[] reasons, int count, string rule, Func<DateTimeOffset, string> bucket, TimeZoneInfo zone)
    {
        string? last = null;
        for (int i = 0; i < newestFirst.Count && count > 0; i++)
        {
            string b = bucket(TimeZoneInfo.ConvertTime(newestFirst[i].Time, zone));
            if (b == last) continue;
            last = b;
            reasons[i].Add($"{rule} {b}");
            count--;
        }
    }

    public static string GroupKey(RetainedSnapshot snapshot, IReadOnlyList<string> groupBy)
    {
        var parts = new List<string>();
        foreach (var key in groupBy)
        {
            parts.Add(key switch
            {
                "host" => $"host={snapshot.Host}",
                "source" => $"source={snapshot.SourceKind}:{snapshot.SourceId}",
                "paths" => $"paths={string.Join(",", snapshot.Paths.Order(StringComparer.Ordinal))}",
                "tags" => $"tags={string.Join(",", snapshot.Tags.Order(StringComparer.Ordinal))}",
                _ => throw new ArgumentException($"group-by '{key}'"),
            });
        }
        return parts.Count == 0 ? "(all)" : string.Join(" ", parts);
    }
}

/// <summary>A keep-tag rule: <c>TAG</c> keeps every snapshot tagged so, <c>TAG:N</c> the N newest.</summary>
public readonly record struct TagRule(string Tag, int? Newest)
{
    public static TagRule Parse(string text)
    {
        int colon = text.LastIndexOf(':');
        if (colon > 0 && int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int n))
            return n > 0 ? new TagRule(text[..colon], n) : throw new ArgumentException($"keep-tag '{text}': the count must be at least 1");
        if (text.Length == 0) throw new ArgumentException("keep-tag needs a tag");
        return new TagRule(text, null);
    }
}

/// <summary>Durations as the CLI writes them: 90m, 12h, 30d, 2w, or sums like 1d12h.</summary>
public static class Durations
{
    public static string Format(TimeSpan span)
    {
        if (span.TotalSeconds % 604800 == 0 && span.TotalDays >= 7) return $"{(long)(span.TotalDays / 7)}w";
        if (span.TotalSeconds % 86400 == 0 && span.TotalDays >= 1) return $"{(long)span.TotalDays}d";
        if (span.TotalSeconds % 3600 == 0 && span.TotalHours >= 1) return $"{(long)span.TotalHours}h";
        return $"{(long)span.TotalMinutes}m";
    }
}
