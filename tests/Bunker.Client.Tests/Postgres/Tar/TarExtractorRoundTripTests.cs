using System.Text;
using System.Text.RegularExpressions;
using Bunker.Client.Postgres.Tar;
using Bunker.Tests.Shared;

namespace Bunker.Client.Tests.Postgres.Tar;

/// <summary>A real pg_basebackup stream, unpacked by the extractor and by GNU tar: the two trees must be the same.</summary>
public sealed class TarExtractorRoundTripTests(BaseBackupFixture backup) : IClassFixture<BaseBackupFixture>
{
    [Fact]
    public async Task A_real_base_backup_read_in_short_pieces_unpacks_as_gnu_tar_unpacks_it()
    {
        string byTar = Path.Combine(backup.Scratch, "by-tar");
        string byExtractor = Path.Combine(backup.Scratch, "by-extractor");
        Directory.CreateDirectory(byTar);
        // GNU tar as root keeps the headers' owners (backup_manifest's are made up): give both trees postgres instead.
        await BaseBackupFixture.RunAsync("tar", "--no-same-owner", "-xf", backup.Archive, "-C", byTar);
        await BaseBackupFixture.RunAsync("chown", "-R", "postgres:postgres", byTar);
        await BaseBackupFixture.RunAsync("chmod", "700", byTar);
        var (uid, gid) = PostgresIds();

        await using var stream = new ChoppyStream(File.OpenRead(backup.Archive), MaxRead);
        var result = await TarExtractor.ExtractAsync(stream, byExtractor, new TarExtractOptions { OwnerUid = uid, OwnerGid = gid });

        var expected = await FileTrees.ManifestAsync(byTar);
        var actual = await FileTrees.ManifestAsync(byExtractor);
        // The last line is the target itself, whose mtime is when each extraction last wrote into it.
        FileTrees.AssertSameTree(WithoutDirectoryTimes(expected[..^1]), WithoutDirectoryTimes(actual[..^1]));
        await AssertDirectoryTimesAreTheHeadersAsync(byExtractor);
        Assert.Contains("mode=700", actual[^1]);
        Assert.Contains($"uid={uid} gid={gid}", actual[^1]);
        Assert.True(stream.Reads > 1000, "the stream was not read in short pieces");
        Assert.Equal(new FileInfo(backup.Archive).Length, stream.Consumed);

        Assert.Equal(expected.Length - 1, result.Files + result.Directories);
        long bytes = 0;
        foreach (var file in Directory.EnumerateFiles(byTar, "*", SearchOption.AllDirectories)) bytes += new FileInfo(file).Length;
        Assert.Equal(bytes, result.Bytes);
        Assert.StartsWith("START WAL LOCATION", Encoding.UTF8.GetString(await File.ReadAllBytesAsync(Path.Combine(byExtractor, "backup_label"))));
        Assert.True(File.Exists(Path.Combine(byExtractor, "backup_manifest")));
        Assert.True(Directory.Exists(Path.Combine(byExtractor, "pg_wal", "archive_status")));
        // PostgreSQL's own check: every file's size and checksum against backup_manifest, and the WAL it needs.
        await BaseBackupFixture.RunAsync("runuser", "-u", "postgres", "--", "/usr/lib/postgresql/15/bin/pg_verifybackup", byExtractor);
    }

    [Fact]
    public async Task Backup_label_is_read_from_the_front_without_reading_the_rest()
    {
        await using var stream = new ChoppyStream(File.OpenRead(backup.Archive), MaxRead);

        var label = await TarMembers.ReadMemberAsync(stream, "./backup_label", 1 << 16);

        Assert.NotNull(label);
        Assert.StartsWith("START WAL LOCATION: ", Encoding.UTF8.GetString(label));
        Assert.Contains("BACKUP METHOD: streamed", Encoding.UTF8.GetString(label));
        // Its header and data, and at most what the last short read brought beyond them.
        Assert.True(stream.Consumed < 1024 + MaxRead, $"read {stream.Consumed} bytes to find the first member");
    }

    [Fact]
    public async Task The_injected_manifest_is_found_at_the_end_and_a_missing_member_is_null()
    {
        await using (var stream = new ChoppyStream(File.OpenRead(backup.Archive), MaxRead))
        {
            var manifest = await TarMembers.ReadMemberAsync(stream, "backup_manifest", 64);
            Assert.NotNull(manifest);
            Assert.Equal(64, manifest.Length);
            Assert.StartsWith("{ \"PostgreSQL-Backup-Manifest-Version\"", Encoding.UTF8.GetString(manifest));
        }
        await using (var stream = new ChoppyStream(File.OpenRead(backup.Archive), MaxRead))
        {
            Assert.Null(await TarMembers.ReadMemberAsync(stream, "recovery.signal", 1024));
        }
    }

    private const int MaxRead = 7000;

    // GNU tar sets a directory's mtime when it moves past it, and pg_basebackup adds files to global/ and pg_wal/
    // at the end of the stream, so tar leaves those with the time of extraction: directory times are checked
    // against the headers instead.
    private static string[] WithoutDirectoryTimes(string[] manifest)
    {
        var lines = new string[manifest.Length];
        for (int i = 0; i < manifest.Length; i++)
            lines[i] = manifest[i].Contains(" type=40000 ", StringComparison.Ordinal) ? Regex.Replace(manifest[i], " mtime=[0-9]+", "") : manifest[i];
        return lines;
    }

    /// <summary>Every directory's mtime is its header's, as Python's tarfile reads the archive.</summary>
    private async Task AssertDirectoryTimesAreTheHeadersAsync(string root)
    {
        var listing = await FileTrees.PythonAsync("""
            import sys, tarfile
            for m in tarfile.open(sys.argv[1]):
                if m.isdir(): print(m.name.removeprefix('./').rstrip('/'), m.mtime)
            """, backup.Archive);
        int checkedDirectories = 0;
        foreach (var line in listing.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var (name, seconds) = (line[..line.LastIndexOf(' ')], long.Parse(line[(line.LastIndexOf(' ') + 1)..]));
            Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(seconds), new DateTimeOffset(Directory.GetLastWriteTimeUtc(Path.Combine(root, name))));
            checkedDirectories++;
        }
        Assert.True(checkedDirectories >= 20, $"only {checkedDirectories} directories in a base backup");
    }

    private static (int Uid, int Gid) PostgresIds()
    {
        foreach (var line in File.ReadLines("/etc/passwd"))
        {
            var fields = line.Split(':');
            if (fields[0] == "postgres") return (int.Parse(fields[2]), int.Parse(fields[3]));
        }
        throw new InvalidOperationException("no postgres user in /etc/passwd");
    }
}
