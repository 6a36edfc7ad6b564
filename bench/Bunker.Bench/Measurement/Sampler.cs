using System.Diagnostics;

namespace Bunker.Bench.Measurement;

/// <summary>
/// Runs a body a few times unmeasured (JIT tiering, page cache, pools), then several measured
/// times, and keeps the median: one slow outlier (a background flush, a GC) does not move it.
/// </summary>
internal static class Sampler
{
    public const int DefaultWarmups = 1;
    public const int DefaultIterations = 5;

    public static TimeSpan Median(Action body, int warmups = DefaultWarmups, int iterations = DefaultIterations)
    {
        for (int i = 0; i < warmups; i++)
            body();
        var samples = new TimeSpan[iterations];
        for (int i = 0; i < iterations; i++)
        {
            long start = Stopwatch.GetTimestamp();
            body();
            samples[i] = Stopwatch.GetElapsedTime(start);
        }
        Array.Sort(samples);
        return samples[iterations / 2];
    }

    /// <summary>The middle element of results ordered by <paramref name="key"/>.</summary>
    public static T MedianBy<T>(IReadOnlyList<T> results, Func<T, TimeSpan> key) =>
        results.OrderBy(key).ElementAt(results.Count / 2);
}
