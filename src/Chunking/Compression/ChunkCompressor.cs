namespace Bunker.Chunking.Compression;

/// <summary>
/// Compresses chunks with zstd, or stores them raw when compression does not pay.
/// Thread-safe: the zstd contexts are per thread and reused, never created per call.
/// </summary>
public sealed class ChunkCompressor
{
    public const int MinLevel = 1;
    public const int MaxLevel = 19;
    public const int DefaultLevel = 3;

    [ThreadStatic]
    private static ZstdCompressContext? t_compressContext;

    [ThreadStatic]
    private static ZstdDecompressContext? t_decompressContext;

    public ChunkCompressor(int level = DefaultLevel)
    {
        if (level < MinLevel || level > MaxLevel)
        {
            throw new ArgumentOutOfRangeException(
                nameof(level), level, $"zstd compression level must be in [{MinLevel}, {MaxLevel}].");
        }

        Level = level;
    }

    public int Level { get; }

    /// <summary>The version of the libzstd in use, e.g. "1.5.4".</summary>
    public static string NativeVersion => ZstdNative.Version();

    /// <summary>
    /// The destination size that <see cref="Compress"/> needs for <paramref name="rawLength"/> bytes.
    /// Equal to the raw length: a chunk is never stored larger than it is.
    /// </summary>
    public int MaxStoredLength(int rawLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rawLength);
        return rawLength;
    }

    /// <summary>
    /// Writes the stored form of <paramref name="raw"/> to <paramref name="destination"/> and says
    /// how it is encoded: <see cref="ChunkCodec.Zstd"/>, or <see cref="ChunkCodec.None"/> (a copy)
    /// when zstd would not save at least 1/50 (2%) of the chunk.
    /// </summary>
    /// <remarks>
    /// Why 2%: every stored chunk is decompressed on every restore and verify, and restore speed
    /// is what users feel. A zstd frame of already-compressed data (media, archives, encrypted
    /// files) comes out a fraction of a percent smaller at best; spending decompression on every
    /// read to save that is a bad trade. 2% still takes any real redundancy.
    /// zstd writes into a destination capped at that budget, so incompressible data fails fast
    /// with dstSize_tooSmall instead of being compressed in full and then thrown away.
    /// </remarks>
    public unsafe ChunkCodec Compress(ReadOnlySpan<byte> raw, Span<byte> destination, out int written)
    {
        if (destination.Length < raw.Length)
        {
            throw new ArgumentException(
                $"The destination holds {destination.Length} bytes; MaxStoredLength({raw.Length}) = {raw.Length} are needed.",
                nameof(destination));
        }

        int budget = raw.Length - Math.Max(raw.Length / 50, 1);
        if (budget > 0)
        {
            ZstdCompressContext context = t_compressContext ??= Create(ZstdNative.CreateCCtx(), "ZSTD_createCCtx");
            nuint result;
            fixed (byte* src = raw)
            fixed (byte* dst = destination)
            {
                result = ZstdNative.CompressCCtx(context, dst, (nuint)budget, src, (nuint)raw.Length, Level);
            }

            if (!ZstdNative.Failed(result))
            {
                written = (int)result;
                return ChunkCodec.Zstd;
            }

            if (ZstdNative.GetErrorCode(result) != ZstdNative.ErrorDestinationTooSmall)
            {
                throw new InvalidOperationException($"zstd compression failed: {ZstdNative.ErrorName(result)}.");
            }
        }

        raw.CopyTo(destination);
        written = raw.Length;
        return ChunkCodec.None;
    }

    /// <summary>
    /// Decodes <paramref name="stored"/> into <paramref name="raw"/>, which must be exactly the
    /// chunk's length.
    /// </summary>
    /// <exception cref="InvalidDataException">
    /// Unknown codec, a zstd error, a frame that declares or yields another size, more than one
    /// frame, or trailing bytes.
    /// </exception>
    public static unsafe void Decompress(ChunkCodec codec, ReadOnlySpan<byte> stored, Span<byte> raw)
    {
        switch (codec)
        {
            case ChunkCodec.None:
                if (stored.Length != raw.Length)
                {
                    throw new InvalidDataException(
                        $"Raw chunk is {stored.Length} bytes; {raw.Length} were expected.");
                }

                stored.CopyTo(raw);
                return;

            case ChunkCodec.Zstd:
                fixed (byte* src = stored)
                fixed (byte* dst = raw)
                {
                    DecompressZstd(src, stored.Length, dst, raw.Length);
                }

                return;

            default:
                throw new InvalidDataException($"Unknown chunk codec {(byte)codec}.");
        }
    }

    private static unsafe void DecompressZstd(byte* src, int srcLength, byte* dst, int rawLength)
    {
        ulong declared = ZstdNative.GetFrameContentSize(src, (nuint)srcLength);
        if (declared == ZstdNative.ContentSizeError)
        {
            throw new InvalidDataException($"Stored chunk of {srcLength} bytes does not start with a valid zstd frame header.");
        }

        if (declared != ZstdNative.ContentSizeUnknown && declared != (ulong)rawLength)
        {
            throw new InvalidDataException(
                $"zstd frame declares {declared} bytes of content; the chunk is {rawLength} bytes.");
        }

        nuint frameLength = ZstdNative.FindFrameCompressedSize(src, (nuint)srcLength);
        if (ZstdNative.Failed(frameLength))
        {
            throw new InvalidDataException($"Corrupt zstd frame: {ZstdNative.ErrorName(frameLength)}.");
        }

        if (frameLength != (nuint)srcLength)
        {
            throw new InvalidDataException(
                $"{(nuint)srcLength - frameLength} trailing bytes after a zstd frame of {frameLength} bytes.");
        }

        ZstdDecompressContext context = t_decompressContext ??= Create(ZstdNative.CreateDCtx(), "ZSTD_createDCtx");
        nuint result = ZstdNative.DecompressDCtx(context, dst, (nuint)rawLength, src, (nuint)srcLength);
        if (ZstdNative.Failed(result))
        {
            throw new InvalidDataException($"Corrupt zstd frame: {ZstdNative.ErrorName(result)}.");
        }

        if (result != (nuint)rawLength)
        {
            throw new InvalidDataException($"zstd frame decompressed to {result} bytes; the chunk is {rawLength} bytes.");
        }
    }

    private static T Create<T>(T handle, string function)
        where T : System.Runtime.InteropServices.SafeHandle
    {
        if (handle.IsInvalid)
        {
            handle.Dispose();
            throw new OutOfMemoryException($"{function} returned NULL.");
        }

        return handle;
    }
}
