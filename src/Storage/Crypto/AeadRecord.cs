using System.Security.Cryptography;

namespace Bunker.Storage.Crypto;

/// <summary>
/// The one sealed-record layout Bunker uses: <c>nonce(12) || ciphertext || tag(16)</c> under
/// AES-256-GCM with a fresh random nonce per record.
/// </summary>
internal static class AeadRecord
{
    public const int NonceSize = 12;
    public const int TagSize = 16;
    public const int Overhead = NonceSize + TagSize;

    /// <summary>Seals <paramref name="plaintext"/> into <paramref name="destination"/>; returns the bytes written.</summary>
    public static int Seal(AesGcm aes, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> destination)
    {
        int length = plaintext.Length + Overhead;
        if (plaintext.Length > int.MaxValue - Overhead || destination.Length < length)
            throw new ArgumentException(
                $"destination holds {destination.Length} bytes; sealing {plaintext.Length} bytes needs {(long)plaintext.Length + Overhead}",
                nameof(destination));
        if (plaintext.Overlaps(destination))
            throw new ArgumentException("plaintext and destination must not overlap", nameof(destination));

        Span<byte> nonce = destination[..NonceSize];
        RandomNumberGenerator.Fill(nonce);
        aes.Encrypt(nonce, plaintext, destination.Slice(NonceSize, plaintext.Length),
            destination.Slice(NonceSize + plaintext.Length, TagSize), associatedData);
        return length;
    }

    /// <summary>
    /// Opens <paramref name="record"/> into <paramref name="plaintext"/>, which must be exactly
    /// record.Length - <see cref="Overhead"/> bytes. Returns false, with the plaintext zeroed, when
    /// authentication fails.
    /// </summary>
    /// <exception cref="InvalidDataException">The record is shorter than <see cref="Overhead"/>.</exception>
    public static bool TryOpen(AesGcm aes, ReadOnlySpan<byte> record, ReadOnlySpan<byte> associatedData, Span<byte> plaintext)
    {
        if (record.Length < Overhead)
            throw new InvalidDataException(
                $"a sealed record of {record.Length} bytes is shorter than the {Overhead}-byte nonce and tag: it is truncated or not a sealed record");
        int bodyLength = record.Length - Overhead;
        if (plaintext.Length != bodyLength)
            throw new ArgumentException(
                $"a sealed record of {record.Length} bytes opens to {bodyLength} bytes, but the plaintext buffer is {plaintext.Length}",
                nameof(plaintext));
        if (record.Overlaps(plaintext))
            throw new ArgumentException("record and plaintext must not overlap", nameof(plaintext));

        try
        {
            aes.Decrypt(record[..NonceSize], record.Slice(NonceSize, bodyLength), record[^TagSize..], plaintext, associatedData);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
    }
}
