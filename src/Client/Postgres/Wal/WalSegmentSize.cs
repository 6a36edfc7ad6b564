namespace Bunker.Client.Postgres.Wal;

/// <summary>The WAL segment sizes PostgreSQL allows (initdb --wal-segsize): a power of two from 1 MiB to 1 GiB.</summary>
internal static class WalSegmentSize
{
    public const int Min = 1 << 20;
    public const int Max = 1 << 30;

    public static bool IsValid(long size) => size is >= Min and <= Max && (size & (size - 1)) == 0;

    /// <summary>The size itself, or <see cref="ArgumentOutOfRangeException"/>: a wrong size is the caller's bug, and would misname every segment.</summary>
    public static int Checked(int size) =>
        IsValid(size) ? size : throw new ArgumentOutOfRangeException(nameof(size), size, "a WAL segment size is a power of two from 1 MiB to 1 GiB");

    /// <summary>How many segments share one "XLogId" (the middle 8 hex digits of a segment name): 4 GiB / size.</summary>
    public static uint SegmentsPerXLogId(int size) => (uint)(0x1_0000_0000UL / (ulong)Checked(size));

    /// <summary>"16 MiB", for messages.</summary>
    public static string Describe(int size) => size >= 1 << 30 ? $"{size >> 30} GiB" : $"{size >> 20} MiB";
}
