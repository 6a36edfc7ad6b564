using System.Text;

namespace Bunker.Tests.Shared;

/// <summary>
/// Real trees on the real file system for the file backup tests, built with Python where names must be raw bytes
/// (.NET cannot create a name that is not UTF-8). Compiled into each test project that needs it, with ExternalTools.
/// </summary>
public static class FileTrees
{
    /// <summary>A fresh directory under /var/tmp (on the disk, which keeps user xattrs; /tmp may be a tmpfs elsewhere).</summary>
    public static ScratchDirectory Scratch(string prefix) =>
        new(Directory.CreateDirectory(Path.Combine("/var/tmp", $"{prefix}-{Guid.NewGuid():N}")).FullName);

    /// <summary>tests/tools/filetree.py make ROOT: every edge case a files backup must keep.</summary>
    public static Task MakeEdgeCasesAsync(string root) => FileTreeAsync("make", root);

    /// <summary>tests/tools/filetree.py manifest ROOT: one canonical line per entry, ROOT's own last.</summary>
    public static async Task<string[]> ManifestAsync(string root) =>
        (await FileTreeAsync("manifest", root)).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The manifests are equal line for line, except that a restore may turn zeros into holes the source did not have.</summary>
    public static void AssertSameTree(IReadOnlyList<string> source, IReadOnlyList<string> restored)
    {
        Assert.Equal(source.Count, restored.Count);
        for (int i = 0; i < source.Count; i++)
        {
            var line = source[i].Contains(" holes", StringComparison.Ordinal) ? restored[i] : restored[i].Replace(" holes", "", StringComparison.Ordinal);
            Assert.Equal(source[i], line);
        }
    }

    /// <summary>Runs tests/tools/filetree.py (the oracle: make, manifest, spec) with arguments; its stdout; fails the test when it fails.</summary>
    public static async Task<string> FileTreeAsync(params string[] args)
    {
        var tool = Path.Combine(ExternalTools.RepositoryRoot(), "tests", "tools", "filetree.py");
        var run = await ExternalTools.RunSeparatelyAsync("python3", [tool, .. args], "/", TimeSpan.FromMinutes(5));
        Assert.True(run.Code == 0, "filetree.py failed: " + run);
        return run.Stdout;
    }

    /// <summary>Runs a Python script with arguments (sys.argv[1:]); fails the test when it fails.</summary>
    public static async Task<string> PythonAsync(string script, params string[] args)
    {
        var run = await ExternalTools.RunSeparatelyAsync("python3", ["-c", script, .. args], "/", TimeSpan.FromMinutes(5));
        Assert.True(run.Code == 0, "python3 failed: " + run);
        return run.Stdout;
    }

    /// <summary>Every path below <paramref name="root"/> (relative, as raw bytes), as os.walk finds them.</summary>
    public static async Task<List<byte[]>> ListAsync(string root)
    {
        var output = await PythonAsync("""
            import os, sys
            root = os.fsencode(sys.argv[1])
            for d, dirs, files in os.walk(root):
                for n in dirs + files:
                    print(os.path.relpath(os.path.join(d, n), root).hex())
            """, root);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Convert.FromHexString).ToList();
    }

    /// <summary>Bytes of a path: its UTF-8, as the backup sees a path given as text.</summary>
    public static byte[] Bytes(string path) => Encoding.UTF8.GetBytes(path);
}

/// <summary>A directory removed, with everything in it, on dispose.</summary>
public sealed class ScratchDirectory(string path) : IDisposable
{
    public string Path { get; } = path;

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            // rm, not Directory.Delete: names that are not UTF-8 cannot be deleted through .NET.
            using var rm = System.Diagnostics.Process.Start("rm", ["-rf", "--one-file-system", Path]);
            rm.WaitForExit();
        }
        catch (System.ComponentModel.Win32Exception)
        {
        }
    }
}
