namespace Bunker.Bench.Measurement;

/// <summary>Decimal units, as restic, borg and openssl print them: 1 MB = 10^6 bytes.</summary>
internal static class Units
{
    public const double Mega = 1_000_000;
    public const int MiB = 1 << 20;

    public static double MegabytesPerSecond(long bytes, TimeSpan elapsed) => bytes / Mega / elapsed.TotalSeconds;

    public static string Rate(long bytes, TimeSpan elapsed) => MegabytesPerSecond(bytes, elapsed).ToString("F1");

    public static string Megabytes(long bytes) => (bytes / Mega).ToString("F1");

    /// <summary>Whole MiB, as memory is given.</summary>
    public static string Mebibytes(long bytes) => (bytes / (double)MiB).ToString("F0");

    public static string Seconds(TimeSpan elapsed) => elapsed.TotalSeconds.ToString("F2");
}
