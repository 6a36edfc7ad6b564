using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Bunker.Chunking.Compression;

/// <summary>
/// P/Invoke into the system libzstd. The versioned soname is named explicitly: the unversioned
/// libzstd.so comes only with the -dev package. (No DllImportResolver: an assembly may register
/// only one, and other code in this assembly may need it.)
/// </summary>
internal static unsafe partial class ZstdNative
{
    private const string Library = "libzstd.so.1";

    /// <summary>ZSTD_CONTENTSIZE_UNKNOWN: the frame does not declare its size.</summary>
    public const ulong ContentSizeUnknown = unchecked((ulong)-1);

    /// <summary>ZSTD_CONTENTSIZE_ERROR: not a valid frame header.</summary>
    public const ulong ContentSizeError = unchecked((ulong)-2);

    /// <summary>ZSTD_error_dstSize_tooSmall from zstd_errors.h (stable since 1.3).</summary>
    public const int ErrorDestinationTooSmall = 70;

    [LibraryImport(Library, EntryPoint = "ZSTD_versionNumber")]
    public static partial uint VersionNumber();


    [LibraryImport(Library, EntryPoint = "ZSTD_isError")]
    public static partial uint IsError(nuint code);

    [LibraryImport(Library, EntryPoint = "ZSTD_getErrorCode")]
    public static partial int GetErrorCode(nuint code);

    // Returns a pointer to a static string: must not be freed, so no string marshalling here.
    [LibraryImport(Library, EntryPoint = "ZSTD_getErrorName")]
    private static partial nint GetErrorNamePointer(nuint code);

    [LibraryImport(Library, EntryPoint = "ZSTD_createCCtx")]
    public static partial ZstdCompressContext CreateCCtx();

    [LibraryImport(Library, EntryPoint = "ZSTD_freeCCtx")]
    public static partial nuint FreeCCtx(nint cctx);

    [LibraryImport(Library, EntryPoint = "ZSTD_compressCCtx")]
    public static partial nuint CompressCCtx(
        ZstdCompressContext cctx, byte* dst, nuint dstCapacity, byte* src, nuint srcSize, int compressionLevel);

    [LibraryImport(Library, EntryPoint = "ZSTD_createDCtx")]
    public static partial ZstdDecompressContext CreateDCtx();

    [LibraryImport(Library, EntryPoint = "ZSTD_freeDCtx")]
    public static partial nuint FreeDCtx(nint dctx);

    [LibraryImport(Library, EntryPoint = "ZSTD_decompressDCtx")]
    public static partial nuint DecompressDCtx(
        ZstdDecompressContext dctx, byte* dst, nuint dstCapacity, byte* src, nuint srcSize);

    [LibraryImport(Library, EntryPoint = "ZSTD_getFrameContentSize")]
    public static partial ulong GetFrameContentSize(byte* src, nuint srcSize);

    [LibraryImport(Library, EntryPoint = "ZSTD_findFrameCompressedSize")]
    public static partial nuint FindFrameCompressedSize(byte* src, nuint srcSize);

    public static bool Failed(nuint code) => IsError(code) != 0;

    public static string ErrorName(nuint code) =>
        Marshal.PtrToStringUTF8(GetErrorNamePointer(code)) ?? $"zstd error {GetErrorCode(code)}";

    /// <summary>libzstd's version as "major.minor.patch".</summary>
    public static string Version()
    {
        uint v = VersionNumber();
        return $"{v / 10000}.{v / 100 % 100}.{v % 100}";
    }
}

/// <summary>A ZSTD_CCtx*, freed with ZSTD_freeCCtx.</summary>
internal sealed class ZstdCompressContext : SafeHandleZeroOrMinusOneIsInvalid
{
    public ZstdCompressContext()
        : base(ownsHandle: true)
    {
    }

    protected override bool ReleaseHandle() => ZstdNative.FreeCCtx(handle) == 0;
}

/// <summary>A ZSTD_DCtx*, freed with ZSTD_freeDCtx.</summary>
internal sealed class ZstdDecompressContext : SafeHandleZeroOrMinusOneIsInvalid
{
    public ZstdDecompressContext()
        : base(ownsHandle: true)
    {
    }

    protected override bool ReleaseHandle() => ZstdNative.FreeDCtx(handle) == 0;
}
