using System.Security.Cryptography;

namespace Bunker.Server.Tenancy;

/// <summary>
/// Bearer tokens: "bkr_" + 32 hex digits of id + 64 hex digits of secret. The id (128 random
/// bits) is public and names the stored record; the secret (256 random bits) is stored only as
/// its SHA-256, so a copy of the index does not hand out working tokens. A hash without a salt is
/// enough here because the secret is random and long, not a password.
/// </summary>
public static class TokenCodec
{
    public const string Prefix = "bkr_";
    public const int IdBytes = 16;
    public const int SecretBytes = 32;
    public const int EncodedLength = 4 + 2 * (IdBytes + SecretBytes);

    public static (string Token, byte[] Id, byte[] SecretHash) Generate()
    {
        byte[] id = RandomNumberGenerator.GetBytes(IdBytes);
        byte[] secret = RandomNumberGenerator.GetBytes(SecretBytes);
        string token = Prefix + Convert.ToHexStringLower(id) + Convert.ToHexStringLower(secret);
        byte[] hash = SHA256.HashData(secret);
        CryptographicOperations.ZeroMemory(secret);
        return (token, id, hash);
    }

    /// <summary>Splits a presented token into its id and the hash of its secret; false when it is not one of ours.</summary>
    public static bool TryParse(string? token, out byte[] id, out byte[] secretHash)
    {
        id = [];
        secretHash = [];
        if (token is null || token.Length != EncodedLength || !token.StartsWith(Prefix, StringComparison.Ordinal))
            return false;
        Span<byte> secret = stackalloc byte[SecretBytes];
        var parsedId = new byte[IdBytes];
        if (Convert.FromHexString(token.AsSpan(4, 2 * IdBytes), parsedId, out _, out int idWritten) != System.Buffers.OperationStatus.Done || idWritten != IdBytes)
            return false;
        if (Convert.FromHexString(token.AsSpan(4 + 2 * IdBytes), secret, out _, out int secretWritten) != System.Buffers.OperationStatus.Done || secretWritten != SecretBytes)
            return false;
        id = parsedId;
        secretHash = SHA256.HashData(secret);
        CryptographicOperations.ZeroMemory(secret);
        return true;
    }

    public static string IdToString(ReadOnlySpan<byte> id) => Convert.ToHexStringLower(id);
}
