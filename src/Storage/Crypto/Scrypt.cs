using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Bunker.Storage.Crypto;

/// <summary>
/// The scrypt password-based key derivation function of RFC 7914: PBKDF2-HMAC-SHA256 with one
/// iteration around ROMix, which is BlockMix over Salsa20/8 through a table of 128·N·r bytes.
/// The table is what makes guessing expensive on GPUs and ASICs, so it is the parameter to grow.
/// </summary>
public static class Scrypt
{
    /// <summary>The most memory one derivation may use (128·N·r for ROMix, and 128·r·p for B).</summary>
    public const long MaxMemoryBytes = 1L << 30;

    private const int SalsaWords = 16;

    /// <summary>
    /// Derives <paramref name="output"/>.Length bytes from <paramref name="password"/> and
    /// <paramref name="salt"/> with cost parameter <paramref name="n"/> (a power of two greater than
    /// one), block size <paramref name="r"/> and parallelisation <paramref name="p"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The parameters are invalid or need more than <see cref="MaxMemoryBytes"/>.</exception>
    public static void DeriveKey(ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, int n, int r, int p, Span<byte> output)
    {
        Validate(n, r, p, output.Length);

        int blockBytes = 128 * r;
        int blockWords = 32 * r;
        byte[] b = new byte[p * blockBytes];
        uint[] x = new uint[blockWords];
        uint[] t = new uint[blockWords];
        // n * blockWords is at most MaxMemoryBytes / 4 words, so it fits an int.
        uint[] v = GC.AllocateUninitializedArray<uint>(n * blockWords);
        try
        {
            Rfc2898DeriveBytes.Pbkdf2(password, salt, b, 1, HashAlgorithmName.SHA256);
            for (int i = 0; i < p; i++)
            {
                Span<byte> bi = b.AsSpan(i * blockBytes, blockBytes);
                CopyLittleEndian(MemoryMarshal.Cast<byte, uint>(bi), x);
                RoMix(x, t, v, n, r);
                CopyLittleEndian(x, MemoryMarshal.Cast<byte, uint>(bi));
            }
            Rfc2898DeriveBytes.Pbkdf2(password, b, output, 1, HashAlgorithmName.SHA256);
        }
        finally
        {
            // The table and the blocks are derived from the password: do not leave them to the heap.
            CryptographicOperations.ZeroMemory(b);
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(x.AsSpan()));
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(t.AsSpan()));
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(v.AsSpan()));
        }
    }

    /// <summary>The bytes of memory a derivation with these parameters needs for its ROMix table.</summary>
    public static long MemoryBytes(int n, int r) => 128L * n * r;

    internal static void Validate(int n, int r, int p, int outputLength)
    {
        if (n < 2 || !BitOperations.IsPow2(n))
            throw new ArgumentException($"scrypt N must be a power of two greater than 1, got {n}", nameof(n));
        if (r < 1)
            throw new ArgumentException($"scrypt r must be at least 1, got {r}", nameof(r));
        if (p < 1)
            throw new ArgumentException($"scrypt p must be at least 1, got {p}", nameof(p));
        // RFC 7914 section 2: N < 2^(128·r/8). Only r = 1 with N ≥ 2^16 can break it under the memory cap.
        if (16 * r < 31 && n >= 1 << (16 * r))
            throw new ArgumentException($"scrypt N must be less than 2^{16 * r} when r = {r}, got {n}", nameof(n));
        if (MemoryBytes(n, r) > MaxMemoryBytes)
            throw new ArgumentException(
                $"scrypt N={n}, r={r} needs 128·N·r = {MemoryBytes(n, r) >> 20} MiB, more than the {MaxMemoryBytes >> 20} MiB limit",
                nameof(n));
        if (128L * r * p > MaxMemoryBytes)
            throw new ArgumentException(
                $"scrypt r={r}, p={p} needs 128·r·p = {(128L * r * p) >> 20} MiB, more than the {MaxMemoryBytes >> 20} MiB limit",
                nameof(p));
        if (outputLength < 1)
            throw new ArgumentException("scrypt output must be at least one byte", "output");
    }

    /// <summary>ROMix (RFC 7914 section 5) on <paramref name="x"/> in place, with scratch <paramref name="t"/> and table <paramref name="v"/>.</summary>
    private static void RoMix(Span<uint> x, Span<uint> t, Span<uint> v, int n, int r)
    {
        int words = 32 * r;
        // V[0] = X; V[i] = BlockMix(V[i-1]); X = BlockMix(V[N-1]). Writing each step straight into
        // the table saves a copy per step.
        x.CopyTo(v);
        for (int i = 0; i < n - 1; i++)
            BlockMix(v.Slice(i * words, words), v.Slice((i + 1) * words, words), r);
        BlockMix(v.Slice((n - 1) * words, words), x, r);

        int mask = n - 1;
        int last = (2 * r - 1) * SalsaWords;
        Span<uint> a = x, c = t;
        for (int i = 0; i < n; i++)
        {
            // Integerify: the first little-endian word of the last 64-byte block; N ≤ 2^23 here.
            int j = (int)(a[last] & (uint)mask);
            Xor(a, v.Slice(j * words, words));
            BlockMix(a, c, r);
            Span<uint> swap = a;
            a = c;
            c = swap;
        }
        // N is even, so after N swaps the result is back in x.
    }

    /// <summary>BlockMix (RFC 7914 section 4) from <paramref name="b"/> into <paramref name="y"/>, which must not overlap.</summary>
    private static void BlockMix(ReadOnlySpan<uint> b, Span<uint> y, int r)
    {
        Span<uint> x = stackalloc uint[SalsaWords];
        b.Slice((2 * r - 1) * SalsaWords, SalsaWords).CopyTo(x);
        for (int i = 0; i < 2 * r; i++)
        {
            XorSalsa208(x, b.Slice(i * SalsaWords, SalsaWords));
            // Even blocks go to the first half of the output, odd ones to the second.
            int outIndex = (i & 1) * r + (i >> 1);
            x.CopyTo(y.Slice(outIndex * SalsaWords, SalsaWords));
        }
    }

    private static void Xor(Span<uint> a, ReadOnlySpan<uint> b)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            Span<Vector<uint>> va = MemoryMarshal.Cast<uint, Vector<uint>>(a);
            ReadOnlySpan<Vector<uint>> vb = MemoryMarshal.Cast<uint, Vector<uint>>(b);
            for (int k = 0; k < va.Length; k++)
                va[k] ^= vb[k];
            i = va.Length * Vector<uint>.Count;
        }
        for (; i < a.Length; i++)
            a[i] ^= b[i];
    }

    /// <summary>x = Salsa20/8(x XOR b), on 16 words.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void XorSalsa208(Span<uint> x, ReadOnlySpan<uint> b)
    {
        if (x.Length < SalsaWords || b.Length < SalsaWords)
            throw new ArgumentException("Salsa20/8 works on 16-word blocks");
        ref uint xr = ref MemoryMarshal.GetReference(x);
        ref uint br = ref MemoryMarshal.GetReference(b);
        for (int k = 0; k < SalsaWords; k++)
            Unsafe.Add(ref xr, k) ^= Unsafe.Add(ref br, k);
        Salsa208Core(ref xr);
    }

    /// <summary>The Salsa20/8 core on 16 words in place: eight rounds, then the input added back.</summary>
    internal static void Salsa208(Span<uint> block)
    {
        if (block.Length != SalsaWords)
            throw new ArgumentException("Salsa20/8 works on 16-word blocks", nameof(block));
        Salsa208Core(ref MemoryMarshal.GetReference(block));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Salsa208Core(ref uint s)
    {
        uint j0 = s, j1 = Unsafe.Add(ref s, 1), j2 = Unsafe.Add(ref s, 2), j3 = Unsafe.Add(ref s, 3);
        uint j4 = Unsafe.Add(ref s, 4), j5 = Unsafe.Add(ref s, 5), j6 = Unsafe.Add(ref s, 6), j7 = Unsafe.Add(ref s, 7);
        uint j8 = Unsafe.Add(ref s, 8), j9 = Unsafe.Add(ref s, 9), j10 = Unsafe.Add(ref s, 10), j11 = Unsafe.Add(ref s, 11);
        uint j12 = Unsafe.Add(ref s, 12), j13 = Unsafe.Add(ref s, 13), j14 = Unsafe.Add(ref s, 14), j15 = Unsafe.Add(ref s, 15);
        uint x0 = j0, x1 = j1, x2 = j2, x3 = j3, x4 = j4, x5 = j5, x6 = j6, x7 = j7;
        uint x8 = j8, x9 = j9, x10 = j10, x11 = j11, x12 = j12, x13 = j13, x14 = j14, x15 = j15;

        for (int round = 0; round < 8; round += 2)
        {
            // Column round.
            x4 ^= BitOperations.RotateLeft(x0 + x12, 7);
            x8 ^= BitOperations.RotateLeft(x4 + x0, 9);
            x12 ^= BitOperations.RotateLeft(x8 + x4, 13);
            x0 ^= BitOperations.RotateLeft(x12 + x8, 18);
            x9 ^= BitOperations.RotateLeft(x5 + x1, 7);
            x13 ^= BitOperations.RotateLeft(x9 + x5, 9);
            x1 ^= BitOperations.RotateLeft(x13 + x9, 13);
            x5 ^= BitOperations.RotateLeft(x1 + x13, 18);
            x14 ^= BitOperations.RotateLeft(x10 + x6, 7);
            x2 ^= BitOperations.RotateLeft(x14 + x10, 9);
            x6 ^= BitOperations.RotateLeft(x2 + x14, 13);
            x10 ^= BitOperations.RotateLeft(x6 + x2, 18);
            x3 ^= BitOperations.RotateLeft(x15 + x11, 7);
            x7 ^= BitOperations.RotateLeft(x3 + x15, 9);
            x11 ^= BitOperations.RotateLeft(x7 + x3, 13);
            x15 ^= BitOperations.RotateLeft(x11 + x7, 18);
            // Row round.
            x1 ^= BitOperations.RotateLeft(x0 + x3, 7);
            x2 ^= BitOperations.RotateLeft(x1 + x0, 9);
            x3 ^= BitOperations.RotateLeft(x2 + x1, 13);
            x0 ^= BitOperations.RotateLeft(x3 + x2, 18);
            x6 ^= BitOperations.RotateLeft(x5 + x4, 7);
            x7 ^= BitOperations.RotateLeft(x6 + x5, 9);
            x4 ^= BitOperations.RotateLeft(x7 + x6, 13);
            x5 ^= BitOperations.RotateLeft(x4 + x7, 18);
            x11 ^= BitOperations.RotateLeft(x10 + x9, 7);
            x8 ^= BitOperations.RotateLeft(x11 + x10, 9);
            x9 ^= BitOperations.RotateLeft(x8 + x11, 13);
            x10 ^= BitOperations.RotateLeft(x9 + x8, 18);
            x12 ^= BitOperations.RotateLeft(x15 + x14, 7);
            x13 ^= BitOperations.RotateLeft(x12 + x15, 9);
            x14 ^= BitOperations.RotateLeft(x13 + x12, 13);
            x15 ^= BitOperations.RotateLeft(x14 + x13, 18);
        }

        s = x0 + j0;
        Unsafe.Add(ref s, 1) = x1 + j1;
        Unsafe.Add(ref s, 2) = x2 + j2;
        Unsafe.Add(ref s, 3) = x3 + j3;
        Unsafe.Add(ref s, 4) = x4 + j4;
        Unsafe.Add(ref s, 5) = x5 + j5;
        Unsafe.Add(ref s, 6) = x6 + j6;
        Unsafe.Add(ref s, 7) = x7 + j7;
        Unsafe.Add(ref s, 8) = x8 + j8;
        Unsafe.Add(ref s, 9) = x9 + j9;
        Unsafe.Add(ref s, 10) = x10 + j10;
        Unsafe.Add(ref s, 11) = x11 + j11;
        Unsafe.Add(ref s, 12) = x12 + j12;
        Unsafe.Add(ref s, 13) = x13 + j13;
        Unsafe.Add(ref s, 14) = x14 + j14;
        Unsafe.Add(ref s, 15) = x15 + j15;
    }

    /// <summary>
    /// Copies words between little-endian storage and native order, in either direction (the
    /// byte swap is its own inverse). Cast the byte side with MemoryMarshal.Cast.
    /// </summary>
    internal static void CopyLittleEndian(ReadOnlySpan<uint> source, Span<uint> destination)
    {
        if (BitConverter.IsLittleEndian)
            source.CopyTo(destination);
        else
            BinaryPrimitives.ReverseEndianness(source, destination);
    }
}
