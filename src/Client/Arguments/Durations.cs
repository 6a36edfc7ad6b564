using System.Globalization;

namespace Bunker.Client.Arguments;

/// <summary>Durations as people type them for token lifetimes: <c>90m</c>, <c>12h</c>, <c>30d</c>, <c>2w</c>, or a sum like <c>1d12h</c>.</summary>
public static class Durations
{
    /// <summary>Parses a positive duration; throws <see cref="UsageException"/> naming the accepted forms otherwise.</summary>
    public static TimeSpan Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.Trim().ToLowerInvariant();
        if (s.Length == 0) throw Bad(text);
        long totalSeconds = 0;
        var i = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
            if (i == start || i == s.Length) throw Bad(text); // a unit without a number, or a number without a unit
            if (!long.TryParse(s.AsSpan(start, i - start), NumberStyles.None, CultureInfo.InvariantCulture, out var amount)) throw Bad(text);
            long unitSeconds = s[i] switch
            {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86400,
                'w' => 7 * 86400,
                _ => throw Bad(text),
            };
            i++;
            try
            {
                totalSeconds = checked(totalSeconds + checked(amount * unitSeconds));
            }
            catch (OverflowException)
            {
                throw Bad(text);
            }
        }
        if (totalSeconds <= 0) throw new UsageException($"duration '{text}' must be longer than zero; leave it out for no expiry");
        if (totalSeconds > (long)TimeSpan.MaxValue.TotalSeconds) throw Bad(text);
        return TimeSpan.FromSeconds(totalSeconds);
    }

    private static UsageException Bad(string text) =>
        new($"bad duration '{text}': use a number and a unit s, m, h, d or w, e.g. 90m, 12h, 30d, 1d12h");
}
