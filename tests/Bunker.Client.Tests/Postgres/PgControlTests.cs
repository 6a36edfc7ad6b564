using Bunker.Client.Postgres.Wal;

namespace Bunker.Client.Tests.Postgres;

/// <summary>The refusals of the pg_control reader; the real file is read in <see cref="WalSegmentHeaderTests"/>.</summary>
public sealed class PgControlTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("bunker-pgcontrol-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string Write(byte[] content)
    {
        string path = Path.Combine(directory, "pg_control");
        File.WriteAllBytes(path, content);
        return path;
    }

    [Fact]
    public void The_identifier_is_the_first_eight_bytes_little_endian()
    {
        var content = new byte[PgControl.FileSize];
        content[0] = 0x01;
        content[7] = 0x65;
        Assert.Equal(0x6500_0000_0000_0001UL, PgControl.ReadSystemIdentifier(Write(content)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(8)]
    [InlineData(PgControl.FileSize + 1)]
    public void A_file_of_another_size_is_refused_with_its_size(int size)
    {
        var content = new byte[size];
        content.AsSpan().Fill(1);
        var error = Assert.Throws<InvalidDataException>(() => PgControl.ReadSystemIdentifier(Write(content)));
        Assert.Contains($"is {size} bytes", error.Message);
    }

    [Fact]
    public void Identifier_0_is_refused()
    {
        var error = Assert.Throws<InvalidDataException>(() => PgControl.ReadSystemIdentifier(Write(new byte[PgControl.FileSize])));
        Assert.Contains("system identifier 0", error.Message);
    }

    [Fact]
    public void A_missing_file_is_an_IO_error()
    {
        Assert.ThrowsAny<IOException>(() => PgControl.ReadSystemIdentifier(Path.Combine(directory, "absent")));
    }
}
