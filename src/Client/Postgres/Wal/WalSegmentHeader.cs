using System.Buffers.Binary;

namespace Bunker.Client.Postgres.Wal;

/// <summary>
/// The long page header (XLogLongPageHeaderData) at the start of every WAL segment file. It ties a segment to its
/// cluster (system identifier), timeline and place in the WAL, so a pushed file can be checked against its name.
/// </summary>
public readonly record struct WalSegmentHeader(ulong SystemIdentifier, uint Timeline, ulong PageAddress, int SegmentSize, int BlockSize)
{
    /// <summary>Bytes of the long header: the 24-byte short header (padded) plus sysid, seg size and block size.</summary>
    public const int Length = 40;

    private const ushort XlpLongHeader = 0x0002;
    private const ushort MagicFamily = 0xD100;
    private const int MinBlockSize = 1 << 10;
    private const int MaxBlockSize = 1 << 16;

    /// <summary>Reads the header from a segment's first bytes; on refusal, <paramref name="reason"/> says which field is wrong.</summary>
    public static bool TryRead(ReadOnlySpan<byte> start, out WalSegmentHeader header, out string reason)
    {
        reason = Refusal(start, out header) ?? "";
        return reason.Length == 0;
    }

    private static string? Refusal(ReadOnlySpan<byte> start, out WalSegmentHeader header)
    {
        header = default;
        if (start.Length < Length) return $"only {start.Length} bytes: a WAL segment starts with a {Length}-byte long page header";

        ushort magic = BinaryPrimitives.ReadUInt16LittleEndian(start);
        // Every release since 9.x has used 0xD1xx and bumps the low byte when the WAL format changes: later
        // releases are accepted so that an upgrade does not stop archiving, anything else is not WAL.
        if ((magic & 0xFF00) != MagicFamily || magic == MagicFamily)
            return $"page magic 0x{magic:X4} is not PostgreSQL WAL (0xD101..0xD1FF; PostgreSQL 15 writes 0xD110)";
        ushort info = BinaryPrimitives.ReadUInt16LittleEndian(start[2..]);
        if ((info & XlpLongHeader) == 0) return $"xlp_info 0x{info:X4} lacks XLP_LONG_HEADER (0x0002): this is not the first page of a segment";
        uint timeline = BinaryPrimitives.ReadUInt32LittleEndian(start[4..]);
        if (timeline == 0) return "timeline 0 in the page header; timelines start at 1";
        ulong pageAddress = BinaryPrimitives.ReadUInt64LittleEndian(start[8..]);
        ulong systemIdentifier = BinaryPrimitives.ReadUInt64LittleEndian(start[24..]);
        if (systemIdentifier == 0) return "system identifier 0 in the page header; initdb never writes 0";
        uint segmentSize = BinaryPrimitives.ReadUInt32LittleEndian(start[32..]);
        if (!WalSegmentSize.IsValid(segmentSize)) return $"segment size {segmentSize} is not a power of two from 1 MiB to 1 GiB";
        uint blockSize = BinaryPrimitives.ReadUInt32LittleEndian(start[36..]);
        if (blockSize is < MinBlockSize or > MaxBlockSize || (blockSize & (blockSize - 1)) != 0)
            return $"WAL block size {blockSize} is not a power of two from 1 KiB to 64 KiB";
        if (pageAddress % segmentSize != 0) return $"page address {new Lsn(pageAddress)} is not at the start of a {WalSegmentSize.Describe((int)segmentSize)} segment";

        header = new WalSegmentHeader(systemIdentifier, timeline, pageAddress, (int)segmentSize, (int)blockSize);
        return null;
    }
}
