using Bunker.Protocol.V1;

namespace Bunker.Server.Lifecycle;

/// <summary>The wire's retention and repository policies, to rules and back, with the checks a stored policy must pass.</summary>
public static class RetentionPolicies
{
    public const double DefaultRetentionEveryHours = 24;
    public const double DefaultRepackBelow = 0.5;

    public static RetentionRules ToRules(RetentionPolicy policy) => new()
    {
        KeepLast = Count(policy.KeepLast),
        KeepHourly = Count(policy.KeepHourly),
        KeepDaily = Count(policy.KeepDaily),
        KeepWeekly = Count(policy.KeepWeekly),
        KeepMonthly = Count(policy.KeepMonthly),
        KeepYearly = Count(policy.KeepYearly),
        KeepWithin = policy.KeepWithinSeconds switch
        {
            0 => null,
            < 0 or > 100L * 366 * 86400 => throw new ArgumentException("keep-within must be between 1 second and 100 years"),
            var seconds => TimeSpan.FromSeconds(seconds),
        },
        KeepTags = Bounded(policy.KeepTags, "keep-tag"),
        TimeZone = policy.TimeZone.Length == 0 ? "UTC" : policy.TimeZone,
        GroupBy = policy.GroupBy.Count == 0 ? ["host", "source"] : Bounded(policy.GroupBy, "group-by"),
    };

    private static int Count(uint value) =>
        value <= 1_000_000 ? (int)value : throw new ArgumentException($"a keep count of {value} is more than the 1000000 allowed");

    private static List<string> Bounded(IReadOnlyCollection<string> values, string what)
    {
        if (values.Count > 100) throw new ArgumentException($"at most 100 {what} values");
        foreach (var value in values)
            if (value.Length is 0 or > 255 || value.Contains('\0')) throw new ArgumentException($"a {what} value must be 1 to 255 characters without NUL");
        return [.. values];
    }

    /// <summary>Checks a policy before it is stored and fills in defaults; throws <see cref="ArgumentException"/> naming what is wrong.</summary>
    public static RepositoryPolicy Normalize(RepositoryPolicy policy)
    {
        var normal = policy.Clone();
        if (normal.Retention is { } retention)
        {
            ToRules(retention).Validate();
            if (normal.RetentionEveryHours == 0) normal.RetentionEveryHours = DefaultRetentionEveryHours;
        }
        else if (normal.Prune)
        {
            throw new ArgumentException("prune runs after scheduled retention, so it needs a retention policy");
        }
        CheckHours(normal.RetentionEveryHours, "retention_every_hours");
        CheckHours(normal.CheckEveryHours, "check_every_hours");
        if (normal.RepackBelow is < 0 or > 1 || double.IsNaN(normal.RepackBelow)) throw new ArgumentException("repack_below must be 0 to 1");
        if (normal.CheckReadDataSubset.Length > 0) ReadDataSubset.Parse(normal.CheckReadDataSubset);
        if (normal.CheckReadDataSubset.Length > 0 && normal.CheckEveryHours == 0)
            throw new ArgumentException("check_read_data_subset needs check_every_hours");
        return normal;
    }

    private static void CheckHours(double hours, string name)
    {
        if (double.IsNaN(hours) || hours < 0 || hours > 24 * 366)
            throw new ArgumentException($"{name} must be 0 (never) or a positive number of hours up to a year");
        if (hours is > 0 and < 1.0 / 60) throw new ArgumentException($"{name} must be at least one minute");
    }
}
