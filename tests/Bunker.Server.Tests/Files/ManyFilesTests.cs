using System.Diagnostics;
using Bunker.Client.Files.Backup;
using Bunker.Tests.Shared;
using Xunit.Abstractions;

namespace Bunker.Server.Tests.Files;

/// <summary>The bar: a tree of 100,000 files backed up again without changes reads no file.</summary>
public sealed class ManyFilesTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_no_change_backup_of_100_000_files_reads_no_file_bytes()
    {
        await using var backups = await FileBackups.StartAsync();
        using var scratch = FileTrees.Scratch("backup-100k");
        // Python writes them several times faster than awaited .NET writes; distinct contents, so each file is its own chunk.
        await FileTrees.PythonAsync("""
            import os, sys
            for d in range(100):
                directory = os.path.join(sys.argv[1], "dir%03d" % d)
                os.mkdir(directory)
                for f in range(1000):
                    with open(os.path.join(directory, "file%04d.dat" % f), "wb") as out:
                        out.write(((d * 1000 + f).to_bytes(4, "little")) * 16)
            """, scratch.Path);

        var clock = Stopwatch.StartNew();
        var first = await backups.RunAsync(scratch.Path);
        var initial = clock.Elapsed;
        clock.Restart();
        var second = await backups.RunAsync(scratch.Path);
        var noChange = clock.Elapsed;
        output.WriteLine($"100,000 files: initial backup {initial.TotalSeconds:0.00} s, no-change backup {noChange.TotalSeconds:0.00} s " +
            $"(catalog {second.Snapshot.Manifest.Archives[0].Size} bytes)");

        Assert.Equal(100_000, first.FilesNew);
        Assert.Equal(100_000, second.FilesUnchanged);
        Assert.Equal(0, second.BytesRead);
        Assert.Equal(0, second.Upload.ChunksUploaded);
        Assert.Equal(first.Directories, second.Directories);
        Assert.Empty(second.Warnings);
    }
}
