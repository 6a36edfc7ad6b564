namespace Bunker.Client.Vm.Nbd;

/// <summary>
/// The wire constants of the NBD protocol (the NetworkBlockDevice project's doc/proto.md), fixed newstyle
/// negotiation with structured replies; every integer on the wire is big-endian.
/// </summary>
internal static class NbdProtocol
{
    public const int DefaultPort = 10809;

    public const ulong InitMagic = 0x4e42444d41474943; // "NBDMAGIC"
    public const ulong OptionMagic = 0x49484156454f5054; // "IHAVEOPT"
    public const ulong OldstyleMagic = 0x0000420281861253;
    public const ulong OptionReplyMagic = 0x0003e889045565a9;
    public const uint RequestMagic = 0x25609513;
    public const uint SimpleReplyMagic = 0x67446698;
    public const uint StructuredReplyMagic = 0x668e33ef;

    // Handshake flags (server) and client flags.
    public const ushort FlagFixedNewstyle = 1 << 0;
    public const ushort FlagNoZeroes = 1 << 1;
    public const uint ClientFixedNewstyle = 1 << 0;
    public const uint ClientNoZeroes = 1 << 1;

    // Options.
    public const uint OptExportName = 1;
    public const uint OptAbort = 2;
    public const uint OptList = 3;
    public const uint OptStartTls = 5;
    public const uint OptInfo = 6;
    public const uint OptGo = 7;
    public const uint OptStructuredReply = 8;
    public const uint OptListMetaContext = 9;
    public const uint OptSetMetaContext = 10;

    // Option replies; errors have the top bit set.
    public const uint RepAck = 1;
    public const uint RepServer = 2;
    public const uint RepInfo = 3;
    public const uint RepMetaContext = 4;
    public const uint RepErrorBit = 1u << 31;
    public const uint RepErrUnsupported = RepErrorBit | 1;
    public const uint RepErrPolicy = RepErrorBit | 2;
    public const uint RepErrInvalid = RepErrorBit | 3;
    public const uint RepErrPlatform = RepErrorBit | 4;
    public const uint RepErrTlsRequired = RepErrorBit | 5;
    public const uint RepErrUnknown = RepErrorBit | 6;
    public const uint RepErrShutdown = RepErrorBit | 7;
    public const uint RepErrBlockSizeRequired = RepErrorBit | 8;
    public const uint RepErrTooBig = RepErrorBit | 9;

    // NBD_REP_INFO types.
    public const ushort InfoExport = 0;
    public const ushort InfoName = 1;
    public const ushort InfoDescription = 2;
    public const ushort InfoBlockSize = 3;

    // Transmission flags.
    public const ushort HasFlags = 1 << 0;
    public const ushort ReadOnly = 1 << 1;
    public const ushort SendFlush = 1 << 2;
    public const ushort SendFua = 1 << 3;
    public const ushort SendTrim = 1 << 5;
    public const ushort SendWriteZeroes = 1 << 6;
    public const ushort SendDf = 1 << 7;
    public const ushort CanMultiConn = 1 << 8;

    // Commands and their flags.
    public const ushort CmdRead = 0;
    public const ushort CmdWrite = 1;
    public const ushort CmdDisc = 2;
    public const ushort CmdFlush = 3;
    public const ushort CmdTrim = 4;
    public const ushort CmdCache = 5;
    public const ushort CmdWriteZeroes = 6;
    public const ushort CmdBlockStatus = 7;
    public const ushort CmdFlagFua = 1 << 0;
    public const ushort CmdFlagNoHole = 1 << 1;
    public const ushort CmdFlagDf = 1 << 2;
    public const ushort CmdFlagReqOne = 1 << 3;
    public const ushort CmdFlagFastZero = 1 << 4;

    // Structured reply chunks.
    public const ushort ReplyFlagDone = 1 << 0;
    public const ushort ReplyNone = 0;
    public const ushort ReplyOffsetData = 1;
    public const ushort ReplyOffsetHole = 2;
    public const ushort ReplyBlockStatus = 5;
    public const ushort ReplyErrorBit = 1 << 15;
    public const ushort ReplyError = ReplyErrorBit | 1;
    public const ushort ReplyErrorOffset = ReplyErrorBit | 2;

    // Error values in replies.
    public const uint EPerm = 1;
    public const uint EIo = 5;
    public const uint ENoMem = 12;
    public const uint EInval = 22;
    public const uint ENoSpc = 28;
    public const uint EOverflow = 75;
    public const uint ENotSup = 95;
    public const uint EShutdown = 108;

    // base:allocation status bits.
    public const string AllocationContext = "base:allocation";
    public const uint StateHole = 1 << 0;
    public const uint StateZero = 1 << 1;

    /// <summary>The longest string (export name, context name, message) either side accepts, as the protocol allows.</summary>
    public const int MaxString = 4096;

    public static string ErrorName(uint error) => error switch
    {
        EPerm => "EPERM (operation not permitted)",
        EIo => "EIO (input/output error)",
        ENoMem => "ENOMEM (out of memory)",
        EInval => "EINVAL (invalid argument)",
        ENoSpc => "ENOSPC (no space left, or beyond the end of the export)",
        EOverflow => "EOVERFLOW (request too large)",
        ENotSup => "ENOTSUP (not supported)",
        EShutdown => "ESHUTDOWN (the server is shutting down)",
        _ => $"error {error}",
    };

    public static string OptionReplyName(uint reply) => reply switch
    {
        RepErrUnsupported => "unsupported",
        RepErrPolicy => "refused by the server's policy",
        RepErrInvalid => "invalid",
        RepErrPlatform => "not available on the server's platform",
        RepErrTlsRequired => "the server requires TLS",
        RepErrUnknown => "unknown export",
        RepErrShutdown => "the server is shutting down",
        RepErrBlockSizeRequired => "the server requires block size negotiation",
        RepErrTooBig => "the request is too big",
        _ => $"error reply 0x{reply:x8}",
    };
}

/// <summary>A failure of the NBD protocol: a peer that refused, broke the protocol, or went away.</summary>
internal sealed class NbdException(string message) : IOException(message);

/// <summary>One run of a block status context: Length bytes at Offset with the same status Flags.</summary>
internal readonly record struct NbdExtent(long Offset, long Length, uint Flags);
