using System.Runtime.InteropServices;
using System.Text;
using Bunker.Storage.Crypto;

namespace Bunker.Storage.Tests.Crypto;

public class ScryptTests
{
    private static byte[] Hex(string spaced) => Convert.FromHexString(spaced.Replace(" ", "").Replace("\n", ""));

    private static byte[] Derive(string password, string salt, int n, int r, int p, int length = 64)
    {
        var output = new byte[length];
        Scrypt.DeriveKey(Encoding.ASCII.GetBytes(password), Encoding.ASCII.GetBytes(salt), n, r, p, output);
        return output;
    }

    // RFC 7914 section 8: the Salsa20/8 core.
    [Fact]
    public void Salsa20_8_core_matches_rfc7914_section_8()
    {
        byte[] input = Hex(
            "7e 87 9a 21 4f 3e c9 86 7c a9 40 e6 41 71 8f 26 " +
            "ba ee 55 5b 8c 61 c1 b5 0d f8 46 11 6d cd 3b 1d " +
            "ee 24 f3 19 df 9b 3d 85 14 12 1e 4b 5a c5 aa 32 " +
            "76 02 1d 29 09 c7 48 29 ed eb c6 8d b8 b8 c2 5e");
        byte[] expected = Hex(
            "a4 1f 85 9c 66 08 cc 99 3b 81 ca cb 02 0c ef 05 " +
            "04 4b 21 81 a2 fd 33 7d fd 7b 1c 63 96 68 2f 29 " +
            "b4 39 31 68 e3 c9 e6 bc fe 6b c5 b7 a0 6d 96 ba " +
            "e4 24 cc 10 2c 91 74 5c 24 ad 67 3d c7 61 8f 81");

        var words = new uint[16];
        Scrypt.CopyLittleEndian(MemoryMarshal.Cast<byte, uint>(input), words);
        Scrypt.Salsa208(words);
        var output = new byte[64];
        Scrypt.CopyLittleEndian(words, MemoryMarshal.Cast<byte, uint>(output.AsSpan()));

        Assert.Equal(expected, output);
    }

    // RFC 7914 section 12. The fourth vector (N = 2^20) is left out for time; the third covers r = 8.
    [Theory]
    [InlineData("", "", 16, 1, 1,
        "77 d6 57 62 38 65 7b 20 3b 19 ca 42 c1 8a 04 97 f1 6b 48 44 e3 07 4a e8 df df fa 3f ed e2 14 42 " +
        "fc d0 06 9d ed 09 48 f8 32 6a 75 3a 0f c8 1f 17 e8 d3 e0 fb 2e 0d 36 28 cf 35 e2 0c 38 d1 89 06")]
    [InlineData("password", "NaCl", 1024, 8, 16,
        "fd ba be 1c 9d 34 72 00 78 56 e7 19 0d 01 e9 fe 7c 6a d7 cb c8 23 78 30 e7 73 76 63 4b 37 31 62 " +
        "2e af 30 d9 2e 22 a3 88 6f f1 09 27 9d 98 30 da c7 27 af b9 4a 83 ee 6d 83 60 cb df a2 cc 06 40")]
    [InlineData("pleaseletmein", "SodiumChloride", 16384, 8, 1,
        "70 23 bd cb 3a fd 73 48 46 1c 06 cd 81 fd 38 eb fd a8 fb ba 90 4f 8e 3e a9 b5 43 f6 54 5d a1 f2 " +
        "d5 43 29 55 61 3f 0f cf 62 d4 97 05 24 2a 9a f9 e6 1e 85 dc 0d 65 1e 40 df cf 01 7b 45 57 58 87")]
    public void Matches_rfc7914_section_12(string password, string salt, int n, int r, int p, string expectedHex)
    {
        Assert.Equal(Hex(expectedHex), Derive(password, salt, n, r, p));
    }

    // Parameters the RFC does not cover (odd r, p > 1, a short output), checked against OpenSSL's
    // scrypt through Python: hashlib.scrypt(b"bunker", salt=b"pepper", n=64, r=3, p=2, dklen=40).
    [Fact]
    public void Matches_openssl_for_odd_r_and_several_lanes()
    {
        Assert.Equal(Hex("0147a43c6e5292e4424b88c374fedc253e512a745f1d7fe95efa27fc58b2979581c069d4c37222b1"), Derive("bunker", "pepper", 64, 3, 2, 40));
    }

    [Fact]
    public void Output_length_is_free_and_a_prefix_of_a_longer_output()
    {
        byte[] full = Derive("pw", "salt", 16, 2, 2, 100);
        byte[] short32 = Derive("pw", "salt", 16, 2, 2, 32);
        Assert.Equal(full.AsSpan(0, 32).ToArray(), short32);
    }

    [Theory]
    [InlineData(0, 8, 1, "power of two")]
    [InlineData(1, 8, 1, "power of two")]
    [InlineData(1000, 8, 1, "power of two")]
    [InlineData(-16, 8, 1, "power of two")]
    [InlineData(16, 0, 1, "r must be at least 1")]
    [InlineData(16, 8, 0, "p must be at least 1")]
    [InlineData(1 << 16, 1, 1, "less than 2^16")]
    [InlineData(1 << 21, 8, 1, "MiB limit")]
    [InlineData(16, 1 << 20, 1, "MiB limit")]
    [InlineData(16, 1024, 1 << 14, "MiB limit")]
    public void Invalid_parameters_are_refused_with_a_clear_message(int n, int r, int p, string expected)
    {
        var output = new byte[32];
        var ex = Assert.Throws<ArgumentException>(() => Scrypt.DeriveKey("pw"u8, "salt"u8, n, r, p, output));
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Empty_output_is_refused()
    {
        Assert.Throws<ArgumentException>(() => Scrypt.DeriveKey("pw"u8, "salt"u8, 16, 1, 1, Span<byte>.Empty));
    }
}
