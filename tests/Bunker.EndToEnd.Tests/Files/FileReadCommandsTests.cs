using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Bunker.Protocol.V1;
using Bunker.Tests.Shared;

namespace Bunker.EndToEnd.Tests.Files;

/// <summary><c>bunker ls</c>, <c>diff</c> and <c>dump</c> over files snapshots made with the uploader and the catalog writer.</summary>
public sealed class FileReadCommandsTests(FilesRepository repo) : IClassFixture<FilesRepository>
{
    private string First => Convert.ToHexStringLower(repo.First.Id.Span);
    private string Second => Convert.ToHexStringLower(repo.Second.Id.Span);

    [Fact]
    public async Task Ls_lists_every_entry_in_catalog_order_and_a_path_lists_its_subtree()
    {
        var run = await InProcessCli.OkAsync(repo.Env, "ls", First);
        Assert.Equal(
        [
            "/srv", "/srv/big.bin", "/srv/caf\\xe9", "/srv/empty", "/srv/gone.txt", "/srv/grow.txt", "/srv/hard", "/srv/kind", "/srv/link",
            "/srv/meta.txt", "/srv/mod.txt", "/srv/same.txt", "/srv/sparse.img", "/srv/sub", "/srv/sub/deep.txt",
        ], run.Lines);
        Assert.Equal(["/srv/sub", "/srv/sub/deep.txt"], (await InProcessCli.OkAsync(repo.Env, "ls", First, "/srv/sub/")).Lines);
        Assert.Equal(["/srv/big.bin"], (await InProcessCli.OkAsync(repo.Env, "ls", First, "srv/big.bin")).Lines);

        var missing = await InProcessCli.RunAsync(repo.Env, "ls", First, "/srv/su");
        Assert.Equal(1, missing.Code);
        Assert.Equal($"bunker: '/srv/su' is not in snapshot {First[..8]}\n", missing.Stderr);
    }

    [Fact]
    public async Task Ls_long_shows_type_permissions_owner_size_mtime_and_link_targets()
    {
        var lines = (await InProcessCli.OkAsync(repo.Env, "ls", First, "--long")).Lines;
        // Fields: mode, owner/group, size, mtime, path, then "->" or "=>" and a target.
        string Line(string path) => Assert.Single(lines, l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[4] == path);
        string mtime = Regex.Escape(DateTimeOffset.UnixEpoch.AddTicks(FilesRepository.DefaultMtime / 100).ToLocalTime().ToString("yyyy-MM-dd'T'HH:mm:sszzz"));

        Assert.Matches($"^drwxr-xr-x alice/staff +0 {mtime} /srv$", Line("/srv"));
        Assert.Matches($"^-rw-r--r-- alice/staff +{repo.Big.Length} {mtime} /srv/big.bin$", Line("/srv/big.bin"));
        Assert.EndsWith(" /srv/link -> same.txt", Line("/srv/link"));
        Assert.StartsWith("lrwxrwxrwx ", Line("/srv/link"));
        Assert.Matches($" {repo.Big.Length} {mtime} /srv/hard => /srv/big.bin$", Line("/srv/hard"));
        Assert.Contains($" {FilesRepository.SparseSize} ", Line("/srv/sparse.img"));
        Assert.Contains("/srv/caf\\xe9", lines[2]);
    }

    [Fact]
    public async Task Ls_json_gives_one_object_per_entry_with_base64_for_names_that_are_not_utf8()
    {
        var lines = (await InProcessCli.OkAsync(repo.Env, "ls", First, "--json")).Lines;
        Assert.Equal(15, lines.Length);
        var entries = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();

        var latin = entries[2];
        Assert.Equal("/srv/caf\\xe9", latin.GetProperty("path").GetString());
        Assert.Equal([(byte)'/', .. FilesRepository.Latin1Name], Convert.FromBase64String(latin.GetProperty("pathBase64").GetString()!));
        Assert.False(entries[1].TryGetProperty("pathBase64", out _));

        var big = entries[1];
        Assert.Equal("/srv/big.bin", big.GetProperty("path").GetString());
        Assert.Equal("file", big.GetProperty("type").GetString());
        Assert.Equal("0644", big.GetProperty("permissions").GetString());
        Assert.Equal("-rw-r--r--", big.GetProperty("mode").GetString());
        Assert.Equal((ulong)repo.Big.Length, big.GetProperty("size").GetUInt64());
        Assert.Equal("alice", big.GetProperty("user").GetString());
        Assert.Equal(FilesRepository.DefaultMtime, big.GetProperty("mtimeUnixNanos").GetInt64());

        var link = entries.Single(e => e.GetProperty("path").GetString() == "/srv/link");
        Assert.Equal("symlink", link.GetProperty("type").GetString());
        Assert.Equal("same.txt", link.GetProperty("symlinkTarget").GetString());
        Assert.True(entries.Single(e => e.GetProperty("path").GetString() == "/srv/sparse.img").GetProperty("sparse").GetBoolean());
    }

    [Fact]
    public async Task Diff_names_each_added_removed_modified_retyped_and_metadata_changed_path_and_counts_them()
    {
        var run = await InProcessCli.OkAsync(repo.Env, "diff", First, Second);
        Assert.Equal(
        [
            "- /srv/gone.txt",
            "M /srv/grow.txt",
            "T /srv/kind",
            "M /srv/link",
            "U /srv/meta.txt",
            "M /srv/mod.txt",
            "+ /srv/new.txt",
            "1 added, 1 removed, 3 modified, 1 type changed, 1 metadata changed",
        ], run.Lines);

        var backwards = await InProcessCli.OkAsync(repo.Env, "diff", Second, First);
        Assert.Equal(["+ /srv/gone.txt", "- /srv/new.txt"], backwards.Lines.Where(l => l[0] is '+' or '-'));

        var same = await InProcessCli.OkAsync(repo.Env, "diff", First, First);
        Assert.Equal(["0 added, 0 removed, 0 modified, 0 type changed, 0 metadata changed"], same.Lines);
    }

    [Fact]
    public async Task Diff_json_gives_one_object_per_change_then_the_summary()
    {
        var lines = (await InProcessCli.OkAsync(repo.Env, "diff", First, Second, "--json")).Lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(8, lines.Count);
        Assert.Equal("U", lines[4].GetProperty("change").GetString());
        Assert.Equal("metadataChanged", lines[4].GetProperty("kind").GetString());
        Assert.Equal("/srv/meta.txt", lines[4].GetProperty("path").GetString());
        var summary = lines[7].GetProperty("summary");
        Assert.Equal(3, summary.GetProperty("modified").GetInt32());
        Assert.Equal(1, summary.GetProperty("typeChanged").GetInt32());
    }

    [Fact]
    public async Task Diff_refuses_a_snapshot_of_another_kind()
    {
        var run = await InProcessCli.RunAsync(repo.Env, "diff", First, Convert.ToHexStringLower(repo.Vm.Id.Span));
        Assert.Equal(1, run.Code);
        Assert.Contains("is a 'vm' snapshot; this command works on 'files' snapshots", run.Stderr);
    }

    [Fact]
    public async Task Dump_writes_a_multi_chunk_file_a_hardlink_and_an_empty_file_bit_for_bit()
    {
        Assert.Equal(repo.Big, (await InProcessCli.OkAsync(repo.Env, "dump", First, "/srv/big.bin")).StdoutBytes);
        Assert.Equal(repo.Big, (await InProcessCli.OkAsync(repo.Env, "dump", First, "/srv/hard")).StdoutBytes);
        Assert.Empty((await InProcessCli.OkAsync(repo.Env, "dump", First, "/srv/empty")).StdoutBytes);
        Assert.Equal("version two"u8.ToArray(), (await InProcessCli.OkAsync(repo.Env, "dump", "latest", "/srv/mod.txt", "--host", "host-a")).StdoutBytes);
    }

    [Fact]
    public async Task Dump_expands_a_sparse_files_holes_into_zeros()
    {
        var dumped = (await InProcessCli.OkAsync(repo.Env, "dump", First, "/srv/sparse.img")).StdoutBytes;
        var expected = new byte[FilesRepository.SparseSize];
        repo.SparseFirst.CopyTo(expected, 1 << 20);
        repo.SparseSecond.CopyTo(expected, 5 << 20);
        Assert.Equal(expected.Length, dumped.Length);
        Assert.True(expected.AsSpan().SequenceEqual(dumped), "the dumped sparse file differs from its extents and holes");
    }

    [Theory]
    [InlineData("/srv/sub", "bunker: '/srv/sub' is a directory; dump writes one regular file (ls lists a directory)")]
    [InlineData("/srv/link", "bunker: '/srv/link' is a symlink; dump writes regular files only")]
    [InlineData("/srv/nothing", "bunker: '/srv/nothing' is not in snapshot ")]
    public async Task Dump_of_anything_but_a_regular_file_is_an_error_and_writes_nothing(string path, string message)
    {
        var run = await InProcessCli.RunAsync(repo.Env, "dump", First, path);
        Assert.Equal(1, run.Code);
        Assert.StartsWith(message, run.Stderr);
        Assert.Empty(run.StdoutBytes);
    }

    [Fact]
    public async Task Dump_as_a_process_writes_raw_bytes_to_its_real_stdout()
    {
        // The real console path: bunker as its own process, stdout a pipe read as bytes.
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "bunker.dll"), "dump", First, "/srv/big.bin" }) info.ArgumentList.Add(arg);
        foreach (var (name, value) in repo.Env) info.Environment[name] = value;
        using var process = Process.Start(info)!;
        var stdout = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        await copy;
        Assert.True(process.ExitCode == 0, await stderr);
        Assert.Equal(repo.Big, stdout.ToArray());
    }
}
