using System.Globalization;

namespace Bunker.Client.Postgres.Wal;

/// <summary>
/// A validated name of a file in pg_wal or the WAL archive. Only the exact forms PostgreSQL writes are accepted
/// (upper-case hex, exact lengths, bare names), because these names become object names in the repository and
/// a name that merely looks like a segment must never shadow or sort beside a real one.
/// </summary>
public readonly record struct WalFileName
{
    private const int SegmentNameLength = 24;
    private const string HistorySuffix = ".history";
    private const string PartialSuffix = ".partial";
    private const string BackupSuffix = ".backup";
    private const int BackupNameLength = SegmentNameLength + 1 + 8 + 7; // segment "." offset ".backup"

    private const string Forms = "expected TTTTTTTTXXXXXXXXYYYYYYYY (24 hex digits), optionally followed by .partial or .OOOOOOOO.backup, or TTTTTTTT.history";

    private readonly uint backupOffset;

    // The size the segment number was computed for; 0 for a history file, whose name has no segment. Kept so that
    // reading a name parsed for 16 MiB as if it were 64 MiB fails instead of giving a wrong LSN.
    private readonly int parsedSegmentSize;

    private WalFileName(string name, WalFileKind kind, uint timeline, ulong segment, uint backupOffset, int parsedSegmentSize)
    {
        Name = name;
        Kind = kind;
        Timeline = timeline;
        Segment = segment;
        this.backupOffset = backupOffset;
        this.parsedSegmentSize = parsedSegmentSize;
    }

    /// <summary>The file name as given.</summary>
    public string Name { get; }

    public WalFileKind Kind { get; }

    /// <summary>The timeline, never 0; for a history file, the timeline the history is for.</summary>
    public uint Timeline { get; }

    /// <summary>The segment number (0 for a history file).</summary>
    public ulong Segment { get; }

    public static WalFileName Parse(string name, int segmentSize) =>
        TryParse(name, segmentSize, out var file, out var reason) ? file : throw new ArgumentException(reason, nameof(name));

    /// <summary>Parses <paramref name="name"/>; on refusal, <paramref name="reason"/> says what is wrong with it, quoting it.</summary>
    public static bool TryParse(string name, int segmentSize, out WalFileName file, out string reason)
    {
        WalSegmentSize.Checked(segmentSize);
        reason = Refusal(name, segmentSize, out file) ?? "";
        return reason.Length == 0;
    }

    /// <summary>The name of segment <paramref name="segment"/> of <paramref name="timeline"/>.</summary>
    public static string SegmentName(uint timeline, ulong segment, int segmentSize)
    {
        if (timeline == 0) throw new ArgumentOutOfRangeException(nameof(timeline), "timeline 0 does not exist; timelines start at 1");
        uint perXLogId = WalSegmentSize.SegmentsPerXLogId(segmentSize);
        ulong xLogId = segment / perXLogId;
        if (xLogId > uint.MaxValue) throw new ArgumentOutOfRangeException(nameof(segment), segment, $"segment number is past the end of the WAL address space for {WalSegmentSize.Describe(segmentSize)} segments");
        return string.Create(CultureInfo.InvariantCulture, $"{timeline:X8}{(uint)xLogId:X8}{(uint)(segment % perXLogId):X8}");
    }

    public static string HistoryName(uint timeline)
    {
        if (timeline == 0) throw new ArgumentOutOfRangeException(nameof(timeline), "timeline 0 does not exist; timelines start at 1");
        return string.Create(CultureInfo.InvariantCulture, $"{timeline:X8}{HistorySuffix}");
    }

    /// <summary>Where the file's WAL starts: the segment's first byte, or for a backup history file the backup's start LSN.</summary>
    public Lsn StartLsn(int segmentSize)
    {
        if (Name is null) throw new InvalidOperationException("this WalFileName was never parsed (default value)");
        if (Kind == WalFileKind.History) throw new InvalidOperationException($"'{Name}' is a timeline history file: it has no WAL location");
        if (segmentSize != parsedSegmentSize)
            throw new ArgumentException($"'{Name}' was parsed for {WalSegmentSize.Describe(parsedSegmentSize)} segments, not {segmentSize} bytes", nameof(segmentSize));
        return new Lsn(Segment * (ulong)segmentSize + backupOffset);
    }

    /// <summary>Whether the segment number was computed for <paramref name="segmentSize"/> (always true for a history file).</summary>
    internal bool WasParsedFor(int segmentSize) => Kind == WalFileKind.History || parsedSegmentSize == segmentSize;

    public override string ToString() => Name ?? "";

    /// <summary>Null when <paramref name="name"/> is valid (and <paramref name="file"/> set), else why not.</summary>
    private static string? Refusal(string? name, int segmentSize, out WalFileName file)
    {
        file = default;
        if (string.IsNullOrEmpty(name)) return "a WAL file name is empty";
        if (name.AsSpan().IndexOfAny('/', '\\', '\0') >= 0) return $"'{name}' is not a bare WAL file name: it contains a path separator or NUL";

        if (name.Length == 8 + HistorySuffix.Length && name.EndsWith(HistorySuffix, StringComparison.Ordinal))
        {
            if (HexRefusal(name, name.AsSpan(0, 8)) is { } bad) return bad;
            uint historyTimeline = uint.Parse(name.AsSpan(0, 8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
            if (historyTimeline == 0) return $"'{name}' names timeline 0, which does not exist";
            file = new WalFileName(name, WalFileKind.History, historyTimeline, 0, 0, 0);
            return null;
        }

        WalFileKind kind;
        uint offset = 0;
        if (name.Length == SegmentNameLength) kind = WalFileKind.Segment;
        else if (name.Length == SegmentNameLength + PartialSuffix.Length && name.EndsWith(PartialSuffix, StringComparison.Ordinal)) kind = WalFileKind.Partial;
        else if (name.Length == BackupNameLength && name[SegmentNameLength] == '.' && name.EndsWith(BackupSuffix, StringComparison.Ordinal))
        {
            kind = WalFileKind.BackupLabel;
            var offsetDigits = name.AsSpan(SegmentNameLength + 1, 8);
            if (HexRefusal(name, offsetDigits) is { } bad) return bad;
            offset = uint.Parse(offsetDigits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
            if (offset >= (uint)segmentSize) return $"'{name}': backup start offset {offsetDigits} is not inside a {WalSegmentSize.Describe(segmentSize)} segment";
        }
        else return $"'{name}' is not a WAL file name: {Forms}";

        var digits = name.AsSpan(0, SegmentNameLength);
        if (HexRefusal(name, digits) is { } badDigits) return badDigits;
        uint timeline = uint.Parse(digits[..8], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        uint xLogId = uint.Parse(digits[8..16], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        uint inXLogId = uint.Parse(digits[16..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        if (timeline == 0) return $"'{name}' names timeline 0, which does not exist";
        uint perXLogId = WalSegmentSize.SegmentsPerXLogId(segmentSize);
        if (inXLogId >= perXLogId)
            return $"'{name}': its last 8 digits {digits[16..]} must be below {perXLogId:X8}, the number of {WalSegmentSize.Describe(segmentSize)} segments per 4 GiB";
        file = new WalFileName(name, kind, timeline, (ulong)xLogId * perXLogId + inXLogId, offset, segmentSize);
        return null;
    }

    private static string? HexRefusal(string name, ReadOnlySpan<char> digits)
    {
        int notUpperHex = digits.IndexOfAnyExcept("0123456789ABCDEF");
        if (notUpperHex < 0) return null;
        return char.IsAsciiHexDigitLower(digits[notUpperHex])
            ? $"'{name}' has lower-case hex digits; PostgreSQL writes WAL file names in upper case"
            : $"'{name}' has '{digits[notUpperHex]}' where a hex digit belongs: {Forms}";
    }
}
