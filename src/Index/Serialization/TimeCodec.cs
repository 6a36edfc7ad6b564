namespace Bunker.Index.Serialization;

internal static class TimeCodec
{
    /// <summary>
    /// Unix nanoseconds with the sign bit flipped, so big-endian bytes sort in time order across
    /// the epoch. Covers the years 1677 to 2262.
    /// </summary>
    public static ulong ToSortableNanoseconds(DateTimeOffset time)
    {
        long ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        long nanoseconds;
        try
        {
            nanoseconds = checked(ticks * 100);
        }
        catch (OverflowException)
        {
            throw new ArgumentOutOfRangeException(nameof(time), time, "snapshot times must fall between the years 1677 and 2262");
        }
        return (ulong)nanoseconds ^ (1UL << 63);
    }

    public static DateTimeOffset FromUtcTicks(ulong ticks)
    {
        if (ticks > (ulong)DateTimeOffset.MaxValue.UtcTicks)
            throw new InvalidDataException($"time {ticks} is out of range");
        return new DateTimeOffset((long)ticks, TimeSpan.Zero);
    }
}
