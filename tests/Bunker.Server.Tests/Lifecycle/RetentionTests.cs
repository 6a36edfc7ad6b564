using System.Globalization;
using Bunker.Server.Lifecycle;

namespace Bunker.Server.Tests.Lifecycle;

/// <summary>Retention against hand-worked tables of snapshot times, DST changes and year ends among them.</summary>
public sealed class RetentionTests
{
    private static RetainedSnapshot At(string utc, string host = "web", string[]? tags = null, bool isProtected = false) =>
        new(utc, host, "files", "/srv", ["/srv"], tags ?? [], DateTimeOffset.Parse(utc, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal), isProtected);

    /// <summary>The ids (their UTC times) kept, oldest first.</summary>
    private static string[] Kept(IEnumerable<RetainedSnapshot> snapshots, RetentionRules rules) =>
        [.. Retention.Plan(snapshots, rules).SelectMany(g => g.Decisions).Where(d => d.Keep).Select(d => d.Snapshot.Id).Order(StringComparer.Ordinal)];

    [Fact]
    public void Keep_last_keeps_the_newest_and_says_so()
    {
        var snapshots = new[] { "2026-03-01T10:00:00Z", "2026-03-02T10:00:00Z", "2026-03-03T10:00:00Z", "2026-03-04T10:00:00Z", "2026-03-05T10:00:00Z" }.Select(t => At(t));
        var plan = Retention.Plan(snapshots, new RetentionRules { KeepLast = 3 });
        var decisions = Assert.Single(plan).Decisions;
        Assert.Equal(["2026-03-05T10:00:00Z", "2026-03-04T10:00:00Z", "2026-03-03T10:00:00Z", "2026-03-02T10:00:00Z", "2026-03-01T10:00:00Z"], decisions.Select(d => d.Snapshot.Id));
        Assert.Equal([["last"], ["last"], ["last"], [], []], decisions.Select(d => d.Reasons.ToArray()));
    }

    // Berlin leaves summer time on 2026-10-25 at 03:00 CEST (01:00 UTC): 02:00-02:59 local happens twice.
    private static readonly string[] AroundFallBack =
    [
        "2026-10-24T21:30:00Z", // 23:30 CEST, the 24th
        "2026-10-24T22:30:00Z", // 00:30 CEST, the 25th (UTC still says the 24th)
        "2026-10-25T00:30:00Z", // 02:30 CEST
        "2026-10-25T01:30:00Z", // 02:30 CET: the same local hour again
        "2026-10-25T23:30:00Z", // 00:30 CET, the 26th
    ];

    [Fact]
    public void Daily_buckets_are_local_days_across_the_end_of_summer_time()
    {
        var berlin = Kept(AroundFallBack.Select(t => At(t)), new RetentionRules { KeepDaily = 3, TimeZone = "Europe/Berlin" });
        Assert.Equal(["2026-10-24T21:30:00Z", "2026-10-25T01:30:00Z", "2026-10-25T23:30:00Z"], berlin);
        // The same times counted in UTC fall on two days only (the 24th and the 25th), so two are kept.
        var utc = Kept(AroundFallBack.Select(t => At(t)), new RetentionRules { KeepDaily = 3, TimeZone = "UTC" });
        Assert.Equal(["2026-10-24T22:30:00Z", "2026-10-25T23:30:00Z"], utc);
    }

    [Fact]
    public void The_repeated_hour_of_the_fall_back_is_one_hourly_bucket()
    {
        var kept = Kept(AroundFallBack.Select(t => At(t)), new RetentionRules { KeepHourly = 10, TimeZone = "Europe/Berlin" });
        // 02:30 CEST and 02:30 CET are both "2026-10-25 02" locally: only the newer is kept.
        Assert.Equal(["2026-10-24T21:30:00Z", "2026-10-24T22:30:00Z", "2026-10-25T01:30:00Z", "2026-10-25T23:30:00Z"], kept);
    }

    [Fact]
    public void Iso_weeks_cross_the_year_end_and_years_do_not()
    {
        // ISO 2026-W53 runs from Monday 2026-12-28 to Sunday 2027-01-03; 2027-W01 starts on 2027-01-04.
        var snapshots = new[] { "2026-12-27T12:00:00Z", "2026-12-31T12:00:00Z", "2027-01-02T12:00:00Z", "2027-01-04T12:00:00Z" }.Select(t => At(t)).ToList();
        Assert.Equal(["2026-12-27T12:00:00Z", "2027-01-02T12:00:00Z", "2027-01-04T12:00:00Z"], Kept(snapshots, new RetentionRules { KeepWeekly = 5 }));
        Assert.Equal(["2026-12-31T12:00:00Z", "2027-01-04T12:00:00Z"], Kept(snapshots, new RetentionRules { KeepYearly = 5 }));
        var reasons = Retention.Plan(snapshots, new RetentionRules { KeepWeekly = 5 })[0].Decisions.Single(d => d.Snapshot.Id == "2027-01-02T12:00:00Z").Reasons;
        Assert.Equal(["weekly 2026-W53"], reasons);
    }

    [Fact]
    public void The_policy_of_35_last_7_daily_8_weekly_12_monthly_2_yearly_over_400_daily_snapshots()
    {
        // One snapshot a day at 03:00 UTC from 2025-01-01 to 2026-02-04 (400 days).
        var days = Enumerable.Range(0, 400).Select(i => new DateTime(2025, 1, 1, 3, 0, 0, DateTimeKind.Utc).AddDays(i)).ToList();
        Assert.Equal(new DateTime(2026, 2, 4, 3, 0, 0, DateTimeKind.Utc), days[^1]);
        var snapshots = days.Select(d => At(d.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)));
        var kept = Kept(snapshots, new RetentionRules { KeepLast = 35, KeepDaily = 7, KeepWeekly = 8, KeepMonthly = 12, KeepYearly = 2 });
        // Worked by hand: the last 35 are 2026-01-01..2026-02-04 (they hold the 7 daily ones, the last 6 ISO weeks' ends, and
        // January's and 2026's newest); weekly adds the ends of 2025-W52 (Sun 12-28) and W51 (12-21); monthly adds the
        // last day of each month from March to December 2025 (December's is also 2025's newest, for yearly).
        var expected = Enumerable.Range(0, 35).Select(i => new DateTime(2026, 1, 1).AddDays(i))
            .Concat([new DateTime(2025, 12, 28), new DateTime(2025, 12, 21)])
            .Concat(Enumerable.Range(3, 10).Select(m => new DateTime(2025, m, DateTime.DaysInMonth(2025, m))))
            .Select(d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "T03:00:00Z").Order(StringComparer.Ordinal);
        Assert.Equal(expected, kept);
        Assert.Equal(47, kept.Length);
    }

    [Fact]
    public void The_two_newest_pre_deploy_snapshots_and_seven_days_of_dailies()
    {
        string[] times = ["2026-05-01T10:00:00Z", "2026-05-02T10:00:00Z", "2026-05-03T10:00:00Z", "2026-05-05T10:00:00Z", "2026-05-06T10:00:00Z",
            "2026-05-08T10:00:00Z", "2026-05-09T09:00:00Z", "2026-05-09T10:00:00Z", "2026-05-10T10:00:00Z", "2026-05-11T10:00:00Z", "2026-05-12T10:00:00Z",
            "2026-05-13T10:00:00Z", "2026-05-14T10:00:00Z", "2026-05-15T10:00:00Z"];
        var tagged = new HashSet<string> { "2026-05-01T10:00:00Z", "2026-05-03T10:00:00Z", "2026-05-06T10:00:00Z", "2026-05-09T09:00:00Z" };
        var snapshots = times.Select(t => At(t, tags: tagged.Contains(t) ? ["pre-deploy"] : null));
        var plan = Retention.Plan(snapshots, new RetentionRules { KeepTags = ["pre-deploy:2"], KeepDaily = 7 });
        var kept = plan.SelectMany(g => g.Decisions).Where(d => d.Keep).ToDictionary(d => d.Snapshot.Id, d => string.Join(", ", d.Reasons));
        Assert.Equal(new Dictionary<string, string>
        {
            ["2026-05-15T10:00:00Z"] = "daily 2026-05-15",
            ["2026-05-14T10:00:00Z"] = "daily 2026-05-14",
            ["2026-05-13T10:00:00Z"] = "daily 2026-05-13",
            ["2026-05-12T10:00:00Z"] = "daily 2026-05-12",
            ["2026-05-11T10:00:00Z"] = "daily 2026-05-11",
            ["2026-05-10T10:00:00Z"] = "daily 2026-05-10",
            ["2026-05-09T10:00:00Z"] = "daily 2026-05-09",
            // The 09:00 snapshot of the 9th is not that day's newest, but is the newest pre-deploy.
            ["2026-05-09T09:00:00Z"] = "tag pre-deploy (newest 2)",
            ["2026-05-06T10:00:00Z"] = "tag pre-deploy (newest 2)",
        }, kept);
    }

    [Fact]
    public void Keep_within_counts_from_the_groups_newest_snapshot_not_from_now()
    {
        var snapshots = new[] { "2020-01-01T00:00:00Z", "2020-01-05T00:00:00Z", "2020-01-08T23:00:00Z", "2020-01-09T00:00:00Z" }.Select(t => At(t));
        Assert.Equal(["2020-01-05T00:00:00Z", "2020-01-08T23:00:00Z", "2020-01-09T00:00:00Z"], Kept(snapshots, new RetentionRules { KeepWithin = TimeSpan.FromDays(4) }));
    }

    [Fact]
    public void Groups_are_judged_apart_and_protected_snapshots_always_stay()
    {
        var snapshots = new[]
        {
            At("2026-01-01T00:00:00Z", host: "a", isProtected: true), At("2026-01-02T00:00:00Z", host: "a"), At("2026-01-03T00:00:00Z", host: "a"),
            At("2026-01-01T00:00:01Z", host: "b"), At("2026-01-02T00:00:01Z", host: "b"),
        };
        var plan = Retention.Plan(snapshots, new RetentionRules { KeepLast = 1 });
        Assert.Equal(["host=a source=files:/srv", "host=b source=files:/srv"], plan.Select(g => g.Key));
        Assert.Equal(["2026-01-01T00:00:00Z", "2026-01-02T00:00:01Z", "2026-01-03T00:00:00Z"], Kept(snapshots, new RetentionRules { KeepLast = 1 }));
        Assert.Equal(["protected"], plan[0].Decisions.Single(d => d.Snapshot.Id == "2026-01-01T00:00:00Z").Reasons);
    }

    [Fact]
    public void A_policy_that_would_empty_a_group_or_keeps_nothing_is_refused()
    {
        var snapshots = new[] { At("2026-01-01T00:00:00Z"), At("2026-01-02T00:00:00Z") };
        var e = Assert.Throws<RetentionRefusedException>(() => Retention.Plan(snapshots, new RetentionRules { KeepTags = ["release"] }));
        Assert.Contains("would remove all 2 snapshot(s) of group host=web", e.Message);
        Assert.Throws<ArgumentException>(() => Retention.Plan(snapshots, new RetentionRules()));
        Assert.Throws<ArgumentException>(() => Retention.Plan(snapshots, new RetentionRules { KeepLast = -1 }));
        Assert.Throws<ArgumentException>(() => Retention.Plan(snapshots, new RetentionRules { KeepLast = 1, TimeZone = "Mars/Olympus" }));
        Assert.Throws<ArgumentException>(() => Retention.Plan(snapshots, new RetentionRules { KeepLast = 1, GroupBy = ["colour"] }));
        Assert.Throws<ArgumentException>(() => Retention.Plan(snapshots, new RetentionRules { KeepTags = ["x:0"] }));
    }
}
