using System.Security.Cryptography;
using System.Text;
using Bunker.Index;
using Bunker.Storage.Crypto;

namespace Bunker.Storage.Tests.Crypto;

public class RepositoryKeysTests
{
    private static readonly RepositoryId Repo = RepositoryId.New();

    /// <summary>Cheap scrypt parameters, below the production floor: only usable through the internal override.</summary>
    private static KdfParameters WeakScrypt() =>
        new(KdfParameters.ScryptAlgorithm, RandomNumberGenerator.GetBytes(32), 1024, 8, 1);

    private static MasterKey RawKey() => MasterKey.FromBytes(RandomNumberGenerator.GetBytes(32));

    private static (byte[] Key, KeyEnvelope Envelope) Create(MasterKey master, RepositoryId repo)
    {
        var (key, envelope) = master.IsPassphrase
            ? RepositoryKeys.Create(master, repo, WeakScrypt(), enforceFloor: false)
            : RepositoryKeys.Create(master, repo);
        using (key)
            return (key.Bytes.ToArray(), envelope);
    }

    private static byte[] Open(MasterKey master, KeyEnvelope envelope, RepositoryId repo)
    {
        using DataKey key = RepositoryKeys.Open(master, envelope, repo, enforceFloor: false);
        return key.Bytes.ToArray();
    }

    public static TheoryData<bool> Kinds => [false, true];

    private static MasterKey Master(bool passphrase) =>
        passphrase ? MasterKey.FromPassphrase("correct horse battery staple") : RawKey();

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Created_key_opens_again_after_a_json_round_trip(bool passphrase)
    {
        using MasterKey master = Master(passphrase);
        var (key, envelope) = Create(master, Repo);

        KeyEnvelope parsed = KeyEnvelope.FromJson(envelope.ToJson());
        Assert.Equal(envelope.Kdf, parsed.Kdf);
        Assert.Equal(envelope.WrappedKey.ToArray(), parsed.WrappedKey.ToArray());
        Assert.Equal(key, Open(master, parsed, Repo));
        Assert.Equal(passphrase ? KdfParameters.ScryptAlgorithm : KdfParameters.HkdfSha256, parsed.Kdf.Algorithm);
    }

    [Fact]
    public void Raw_key_kek_is_hkdf_sha256_with_salt_and_repository_bound_info_and_wraps_the_data_key_as_documented()
    {
        using MasterKey master = RawKey();
        var (key, envelope) = Create(master, Repo);

        byte[] info = [.. "bunker/kek/v1"u8, .. Repo.ToArray()];
        byte[] kek = HKDF.DeriveKey(HashAlgorithmName.SHA256, master.Secret.ToArray(), 32, envelope.Kdf.Salt, info);
        Assert.Equal(key, Unwrap(kek, envelope, Repo));
    }

    [Fact]
    public void Passphrase_kek_is_hkdf_expand_of_scrypt_with_repository_bound_info()
    {
        using MasterKey master = Master(passphrase: true);
        var (key, envelope) = Create(master, Repo);
        KdfParameters kdf = envelope.Kdf;

        var prk = new byte[32];
        Scrypt.DeriveKey("correct horse battery staple"u8, kdf.Salt, kdf.N, kdf.R, kdf.P, prk);
        byte[] kek = HKDF.Expand(HashAlgorithmName.SHA256, prk, 32, [.. "bunker/kek/v1"u8, .. Repo.ToArray()]);
        Assert.Equal(key, Unwrap(kek, envelope, Repo));
    }

    private static byte[] Unwrap(byte[] kek, KeyEnvelope envelope, RepositoryId repo)
    {
        ReadOnlySpan<byte> wrapped = envelope.WrappedKey;
        var key = new byte[32];
        using var aes = new AesGcm(kek, 16);
        aes.Decrypt(wrapped[..12], wrapped.Slice(12, 32), wrapped[44..], key, [.. "bunker/data-key/v1"u8, .. repo.ToArray()]);
        return key;
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void One_master_key_gives_each_repository_its_own_data_key_and_kek(bool passphrase)
    {
        using MasterKey master = Master(passphrase);
        var (keyA, envelopeA) = Create(master, Repo);
        var (keyB, _) = Create(master, RepositoryId.New());
        Assert.NotEqual(keyA, keyB);

        // Same salt and master, another repository id: another KEK, so the envelope does not open.
        var other = RepositoryId.New();
        var ex = Assert.Throws<WrongMasterKeyException>(() => Open(master, envelopeA, other));
        Assert.Equal(other, ex.Repository);
    }

    [Fact]
    public void Wrong_raw_master_key_names_the_repository()
    {
        using MasterKey right = RawKey(), wrong = RawKey();
        var (_, envelope) = Create(right, Repo);

        var ex = Assert.Throws<WrongMasterKeyException>(() => Open(wrong, envelope, Repo));
        Assert.Equal(Repo, ex.Repository);
        Assert.Contains($"does not open repository {Repo}", ex.Message);
        Assert.IsAssignableFrom<BunkerCryptoException>(ex);
    }

    [Fact]
    public void Wrong_passphrase_names_the_repository()
    {
        using MasterKey right = MasterKey.FromPassphrase("right"), wrong = MasterKey.FromPassphrase("wrong");
        var (_, envelope) = Create(right, Repo);

        var ex = Assert.Throws<WrongMasterKeyException>(() => Open(wrong, envelope, Repo));
        Assert.Contains($"does not open repository {Repo}", ex.Message);
        Assert.Contains("passphrase", ex.Message);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_master_key_of_the_other_kind_is_told_so(bool passphrase)
    {
        using MasterKey master = Master(passphrase), other = Master(!passphrase);
        var (_, envelope) = Create(master, Repo);

        var ex = Assert.Throws<WrongMasterKeyException>(() => Open(other, envelope, Repo));
        Assert.Contains(passphrase ? "protected by a passphrase" : "protected by a key file", ex.Message);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Any_single_byte_change_to_the_envelope_json_is_refused_or_opens_nothing_else(bool passphrase)
    {
        using MasterKey master = Master(passphrase);
        var (key, envelope) = Create(master, Repo);
        byte[] json = envelope.ToJson();

        foreach (byte flip in new byte[] { 0x01, 0x20, 0x80 })
        {
            for (int i = 0; i < json.Length; i++)
            {
                byte[] altered = (byte[])json.Clone();
                altered[i] ^= flip;
                try
                {
                    // A flip in base64 padding bits can decode to the same bytes; then it must open to the same key.
                    Assert.Equal(key, Open(master, KeyEnvelope.FromJson(altered), Repo));
                }
                catch (Exception e) when (e is InvalidDataException or WrongMasterKeyException)
                {
                }
            }
        }
    }

    public static TheoryData<string> MalformedEnvelopes => new()
    {
        "",
        "null",
        "[]",
        "{}",
        "{\"version\":1}",
        "{\"version\":2,\"kdf\":KDF,\"wrappedKey\":\"WRAPPED\"}",
        "{\"version\":\"1\",\"kdf\":KDF,\"wrappedKey\":\"WRAPPED\"}",
        "{\"version\":1.5,\"kdf\":KDF,\"wrappedKey\":\"WRAPPED\"}",
        "{\"version\":1,\"kdf\":KDF,\"wrappedKey\":\"WRAPPED\",\"extra\":0}",
        "{\"version\":1,\"version\":1,\"kdf\":KDF,\"wrappedKey\":\"WRAPPED\"}",
        "{\"version\":1,\"kdf\":KDF,\"wrappedKey\":\"AAAA\"}",
        "{\"version\":1,\"kdf\":KDF,\"wrappedKey\":\"not base64!\"}",
        "{\"version\":1,\"kdf\":KDF,\"wrappedKey\":42}",
        "{\"version\":1,\"kdf\":[],\"wrappedKey\":\"WRAPPED\"}",
        "{\"version\":1,\"kdf\":{\"algorithm\":\"rot13\",\"salt\":\"SALT\"},\"wrappedKey\":\"WRAPPED\"}",
        "{\"version\":1,\"kdf\":{\"algorithm\":\"hkdf-sha256\",\"salt\":\"AAAA\"},\"wrappedKey\":\"WRAPPED\"}",
        "{\"version\":1,\"kdf\":{\"algorithm\":\"hkdf-sha256\",\"salt\":\"SALT\",\"n\":16},\"wrappedKey\":\"WRAPPED\"}",
        "{\"version\":1,\"kdf\":{\"algorithm\":\"scrypt\",\"salt\":\"SALT\",\"n\":1000,\"r\":8,\"p\":1},\"wrappedKey\":\"WRAPPED\"}",
        "{\"version\":1,\"kdf\":{\"algorithm\":\"scrypt\",\"salt\":\"SALT\",\"n\":16384,\"r\":8},\"wrappedKey\":\"WRAPPED\"}",
        "{\"version\":1,\"kdf\":{\"algorithm\":\"scrypt\",\"salt\":\"SALT\",\"n\":1073741824,\"r\":8,\"p\":1},\"wrappedKey\":\"WRAPPED\"}",
        "{\"version\":1,\"kdf\":{\"algorithm\":\"scrypt\",\"salt\":\"SALT\",\"n\":16384,\"r\":8,\"p\":1000},\"wrappedKey\":\"WRAPPED\"}",
        "{\"version\":1,\"kdf\":{\"algorithm\":\"scrypt\",\"salt\":\"SALT\",\"n\":16384,\"r\":8,\"p\":-1},\"wrappedKey\":\"WRAPPED\"}",
        "{\"version\":1,\"kdf\":{\"algorithm\":\"scr\\ud800ypt\",\"salt\":\"SALT\"},\"wrappedKey\":\"WRAPPED\"}",
        "{\"version\":1,\"kdf\":KDF,\"wrapped\\udc00Key\":\"WRAPPED\"}",
        "{\"version\":1,\"kdf\":KDF,\"wrappedKey\":\"WRAPPED\"} trailing",
        "{\"version\":1,\"kdf\":KDF,\"wrappedKey\":\"WRAPPED\"",
    };

    [Theory]
    [MemberData(nameof(MalformedEnvelopes))]
    public void Malformed_envelopes_are_refused_as_invalid_data(string template)
    {
        string salt = Convert.ToBase64String(new byte[32]);
        string json = template
            .Replace("KDF", $"{{\"algorithm\":\"hkdf-sha256\",\"salt\":\"{salt}\"}}")
            .Replace("SALT", salt)
            .Replace("WRAPPED", Convert.ToBase64String(new byte[KeyEnvelope.WrappedKeySize]));

        var ex = Assert.Throws<InvalidDataException>(() => KeyEnvelope.FromJson(Encoding.UTF8.GetBytes(json)));
        Assert.StartsWith("malformed key envelope: ", ex.Message);
    }

    [Fact]
    public void Envelope_with_a_work_factor_below_the_floor_is_refused()
    {
        using MasterKey master = MasterKey.FromPassphrase("correct horse battery staple");
        var (key, envelope) = RepositoryKeys.Create(master, Repo, WeakScrypt(), enforceFloor: false);
        key.Dispose();
        KeyEnvelope parsed = KeyEnvelope.FromJson(envelope.ToJson());

        var ex = Assert.Throws<InvalidDataException>(() => RepositoryKeys.Open(master, parsed, Repo));
        Assert.Contains("below the floor", ex.Message);
        Assert.Throws<InvalidDataException>(() => RepositoryKeys.Create(master, Repo, WeakScrypt(), enforceFloor: true));
    }

    [Fact]
    public void Production_passphrase_parameters_create_and_open_a_repository()
    {
        using MasterKey master = MasterKey.FromPassphrase("correct horse battery staple");
        var (key, envelope) = RepositoryKeys.Create(master, Repo);
        using (key)
        {
            Assert.Equal(new[] { 1 << 17, 8, 1 }, new[] { envelope.Kdf.N, envelope.Kdf.R, envelope.Kdf.P });
            Assert.Equal(32, envelope.Kdf.Salt.Length);
            using DataKey opened = RepositoryKeys.Open(master, KeyEnvelope.FromJson(envelope.ToJson()), Repo);
            Assert.Equal(key.Bytes.ToArray(), opened.Bytes.ToArray());
        }
    }

    [Fact]
    public void New_repositories_get_fresh_salts()
    {
        using MasterKey master = RawKey();
        Assert.NotEqual(KdfParameters.ForNewRepository(master).Salt, KdfParameters.ForNewRepository(master).Salt);
    }
}
