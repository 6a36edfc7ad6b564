using System.CommandLine;
using Bunker.Client.Arguments;
using Bunker.Protocol.V1;

namespace Bunker.Client.Commands.Lifecycle;

/// <summary>The keep rules, as <c>bunker forget</c> and <c>bunker policy set</c> take them (restic's names).</summary>
internal sealed class RetentionOptions
{
    private readonly Option<int> _last = Count("--keep-last", "keep the N newest snapshots");
    private readonly Option<int> _hourly = Count("--keep-hourly", "keep the newest snapshot of each of the N latest hours that have one");
    private readonly Option<int> _daily = Count("--keep-daily", "keep the newest snapshot of each of the N latest days that have one");
    private readonly Option<int> _weekly = Count("--keep-weekly", "keep the newest snapshot of each of the N latest ISO weeks that have one");
    private readonly Option<int> _monthly = Count("--keep-monthly", "keep the newest snapshot of each of the N latest months that have one");
    private readonly Option<int> _yearly = Count("--keep-yearly", "keep the newest snapshot of each of the N latest years that have one");
    private readonly Option<string> _within = new("--keep-within")
    {
        HelpName = "DURATION",
        Description = "keep every snapshot within this span (90m, 12h, 30d, 1w2d) of the newest one of its group",
    };
    private readonly Option<string[]> _tags = new("--keep-tag")
    {
        HelpName = "TAG[:N]",
        Description = "keep every snapshot with this tag, or with TAG:N the N newest of them (repeatable)",
    };
    private readonly Option<string> _zone = new("--time-zone")
    {
        HelpName = "ZONE",
        Description = "IANA time zone the hours, days, weeks, months and years are counted in (default UTC)",
    };
    private readonly Option<string> _groupBy = new("--group-by")
    {
        HelpName = "KEYS",
        Description = "judge snapshots in groups of the same host, source, paths and/or tags (comma-separated; default host,source)",
    };

    private static Option<int> Count(string name, string description) => new(name) { HelpName = "N", Description = description };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _last, _hourly, _daily, _weekly, _monthly, _yearly, _within, _tags, _zone, _groupBy })
            command.Options.Add(option);
    }

    /// <summary>True when any keep rule was given.</summary>
    public bool Given(ParseResult result) =>
        result.GetValue(_last) != 0 || result.GetValue(_hourly) != 0 || result.GetValue(_daily) != 0 || result.GetValue(_weekly) != 0
        || result.GetValue(_monthly) != 0 || result.GetValue(_yearly) != 0 || result.GetValue(_within) is not null || (result.GetValue(_tags)?.Length ?? 0) > 0;

    /// <summary>The rules given; a negative count, a bad duration or no rule at all is a usage error.</summary>
    public RetentionPolicy Read(ParseResult result)
    {
        var policy = new RetentionPolicy
        {
            KeepLast = Positive(result.GetValue(_last), "--keep-last"),
            KeepHourly = Positive(result.GetValue(_hourly), "--keep-hourly"),
            KeepDaily = Positive(result.GetValue(_daily), "--keep-daily"),
            KeepWeekly = Positive(result.GetValue(_weekly), "--keep-weekly"),
            KeepMonthly = Positive(result.GetValue(_monthly), "--keep-monthly"),
            KeepYearly = Positive(result.GetValue(_yearly), "--keep-yearly"),
            TimeZone = result.GetValue(_zone) ?? "",
        };
        if (result.GetValue(_within) is { } within) policy.KeepWithinSeconds = (long)Durations.Parse(within).TotalSeconds;
        foreach (var tag in result.GetValue(_tags) ?? [])
        {
            if (tag.Length == 0) throw new UsageException("--keep-tag needs a tag");
            policy.KeepTags.Add(tag);
        }
        if (result.GetValue(_groupBy) is { } groupBy)
        {
            foreach (var key in groupBy.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (key is not ("host" or "source" or "paths" or "tags"))
                    throw new UsageException($"--group-by '{key}': the keys are host, source, paths and tags");
                policy.GroupBy.Add(key);
            }
        }
        if (!Given(result))
            throw new UsageException("give at least one keep rule (--keep-last, --keep-daily, ..., --keep-within, --keep-tag): a policy that keeps nothing would remove everything");
        return policy;
    }

    private static uint Positive(int value, string name) =>
        value >= 0 ? (uint)value : throw new UsageException($"{name} must not be negative");

    /// <summary>A policy's rules as one line, as the options would give them.</summary>
    public static string Describe(RetentionPolicy policy)
    {
        var parts = new List<string>();
        void Add(uint n, string name) { if (n > 0) parts.Add($"{name} {n}"); }
        Add(policy.KeepLast, "--keep-last");
        Add(policy.KeepHourly, "--keep-hourly");
        Add(policy.KeepDaily, "--keep-daily");
        Add(policy.KeepWeekly, "--keep-weekly");
        Add(policy.KeepMonthly, "--keep-monthly");
        Add(policy.KeepYearly, "--keep-yearly");
        if (policy.KeepWithinSeconds > 0) parts.Add($"--keep-within {policy.KeepWithinSeconds}s");
        foreach (var tag in policy.KeepTags) parts.Add($"--keep-tag {tag}");
        if (policy.TimeZone.Length > 0) parts.Add($"--time-zone {policy.TimeZone}");
        if (policy.GroupBy.Count > 0) parts.Add($"--group-by {string.Join(",", policy.GroupBy)}");
        return string.Join(" ", parts);
    }
}
