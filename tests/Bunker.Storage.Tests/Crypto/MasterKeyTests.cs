using System.Security.Cryptography;
using System.Text;
using Bunker.Storage.Crypto;

namespace Bunker.Storage.Tests.Crypto;

public sealed class MasterKeyTests : IDisposable
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly string _directory = Directory.CreateTempSubdirectory("bunker-masterkey-").FullName;
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(byte[] content, UnixFileMode mode = Private)
    {
        string path = Path.Combine(_directory, $"key-{Guid.NewGuid():N}");
        File.WriteAllBytes(path, content);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, mode);
        return path;
    }

    private string Write(string text) => Write(Encoding.ASCII.GetBytes(text));

    private static byte[] Bytes(MasterKey key) => key.Secret.ToArray();

    public static TheoryData<string> Encodings => ["raw", "hex", "HEX", "hex\n", "hex\r\n", "base64", "base64\n"];

    [Theory]
    [MemberData(nameof(Encodings))]
    public void Key_file_accepts_raw_hex_and_base64(string encoding)
    {
        string path = encoding switch
        {
            "raw" => Write(_key),
            "hex" => Write(Convert.ToHexStringLower(_key)),
            "HEX" => Write(Convert.ToHexString(_key)),
            "hex\n" => Write(Convert.ToHexStringLower(_key) + "\n"),
            "hex\r\n" => Write(Convert.ToHexStringLower(_key) + "\r\n"),
            "base64" => Write(Convert.ToBase64String(_key)),
            "base64\n" => Write(Convert.ToBase64String(_key) + "\n"),
            _ => throw new ArgumentOutOfRangeException(nameof(encoding)),
        };
        using MasterKey master = MasterKey.FromKeyFile(path);
        Assert.False(master.IsPassphrase);
        Assert.Equal(_key, Bytes(master));
    }

    public static TheoryData<string, string> BadFiles => new()
    {
        { "empty", "is empty" },
        { "31 raw bytes", "neither" },
        { "33 raw bytes", "neither" },
        { "62 hex", "not a 64-character hex key" },
        { "66 hex", "not a 64-character hex key" },
        { "32 hex chars", "not a 64-character hex key" },
        { "64 non-hex", "not a 64-character hex key" },
        { "base64 of 31 bytes", "not a 64-character hex key" },
        { "base64 of 33 bytes", "not a 64-character hex key" },
        { "garbage text", "not a 64-character hex key" },
        { "too long", "far too long" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void Key_file_of_the_wrong_form_is_refused_without_echoing_it(string kind, string expected)
    {
        string hex = Convert.ToHexStringLower(_key);
        byte[] content = kind switch
        {
            "empty" => [],
            "31 raw bytes" => _key[..31],
            "33 raw bytes" => [.. _key, 0x80],
            "62 hex" => Encoding.ASCII.GetBytes(hex[..62]),
            "66 hex" => Encoding.ASCII.GetBytes(hex + "ab"),
            "32 hex chars" => Encoding.ASCII.GetBytes(hex[..32]),
            "64 non-hex" => Encoding.ASCII.GetBytes(hex[..63] + "g"),
            "base64 of 31 bytes" => Encoding.ASCII.GetBytes(Convert.ToBase64String(_key[..31])),
            "base64 of 33 bytes" => Encoding.ASCII.GetBytes(Convert.ToBase64String([.. _key, 1])),
            "garbage text" => Encoding.ASCII.GetBytes("this is not a key at all\n"),
            "too long" => new byte[100_000],
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        string path = Write(content);

        var ex = Assert.Throws<InvalidDataException>(() => MasterKey.FromKeyFile(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains(expected, ex.Message);
        Assert.DoesNotContain(hex[..16], ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData(0b110_100_100)] // 0644
    [InlineData(0b110_110_000)] // 0660
    [InlineData(0b110_000_010)] // 0602
    [InlineData(0b100_000_100)] // 0404
    public void Key_file_open_to_group_or_others_is_refused_like_ssh(int mode)
    {
        if (OperatingSystem.IsWindows())
            return;
        string path = Write(_key, (UnixFileMode)mode);
        var ex = Assert.Throws<InsecureKeyFileException>(() => MasterKey.FromKeyFile(path));
        Assert.Contains("chmod 600", ex.Message);
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void Key_file_readable_only_by_its_owner_is_accepted()
    {
        using MasterKey master = MasterKey.FromKeyFile(Write(_key, UnixFileMode.UserRead));
        Assert.Equal(_key, Bytes(master));
    }

    [Fact]
    public void Missing_key_file_is_a_file_not_found_error()
    {
        Assert.Throws<FileNotFoundException>(() => MasterKey.FromKeyFile(Path.Combine(_directory, "missing")));
    }

    [Fact]
    public void Generated_key_file_is_private_hex_and_loads()
    {
        string path = Path.Combine(_directory, "master.key");
        MasterKey.GenerateKeyFile(path);

        if (!OperatingSystem.IsWindows())
            Assert.Equal(Private, File.GetUnixFileMode(path));
        string text = File.ReadAllText(path);
        Assert.Matches("^[0-9a-f]{64}\n$", text);
        using MasterKey master = MasterKey.FromKeyFile(path);
        Assert.Equal(Convert.FromHexString(text.TrimEnd()), Bytes(master));
        Assert.Single(Directory.GetFiles(_directory));
    }

    [Fact]
    public void Generating_never_overwrites_an_existing_file()
    {
        string path = Path.Combine(_directory, "master.key");
        MasterKey.GenerateKeyFile(path);
        string before = File.ReadAllText(path);

        var ex = Assert.Throws<IOException>(() => MasterKey.GenerateKeyFile(path));
        Assert.Contains("refusing to overwrite", ex.Message);
        Assert.Equal(before, File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(_directory));
    }

    [Fact]
    public void Two_generated_keys_differ()
    {
        string a = Path.Combine(_directory, "a.key"), b = Path.Combine(_directory, "b.key");
        MasterKey.GenerateKeyFile(a);
        MasterKey.GenerateKeyFile(b);
        Assert.NotEqual(File.ReadAllText(a), File.ReadAllText(b));
    }

    [Fact]
    public void Passphrase_must_not_be_empty()
    {
        Assert.Throws<ArgumentException>(() => MasterKey.FromPassphrase(""));
        using MasterKey master = MasterKey.FromPassphrase("correct horse battery staple");
        Assert.True(master.IsPassphrase);
        Assert.Equal("correct horse battery staple"u8.ToArray(), Bytes(master));
    }

    [Fact]
    public void Disposed_master_key_refuses_to_give_its_secret()
    {
        MasterKey master = MasterKey.FromBytes(_key);
        master.Dispose();
        Assert.Throws<ObjectDisposedException>(() => Bytes(master));
    }
}
