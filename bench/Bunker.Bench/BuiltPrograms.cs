namespace Bunker.Bench;

/// <summary>
/// Finds the bunkerd.dll and bunker.dll that the end-to-end benchmarks run: the given path, else the
/// build of src/ in the same configuration as this benchmark. bunkerd itself runs as the tests'
/// DaemonProcess (tests/Shared, linked into this project): SIGTERM on dispose, so it seals its packs
/// and closes its index as in production, and no inherited BUNKER_ settings.
/// </summary>
internal static class BuiltPrograms
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    /// <summary>bunkerd.dll: <paramref name="path"/> (from --bunkerd) or src/Server/bin/CONFIGURATION/net10.0.</summary>
    public static string Bunkerd(string? path) => Locate(path, "--bunkerd", "Server", "bunkerd.dll");

    /// <summary>bunker.dll, the CLI: <paramref name="path"/> (from --bunker) or src/Client/bin/CONFIGURATION/net10.0.</summary>
    public static string Bunker(string? path) => Locate(path, "--bunker", "Client", "bunker.dll");

    private static string Locate(string? path, string flag, string project, string dll)
    {
        if (path is not null)
            return File.Exists(path) ? Path.GetFullPath(path) : throw new UsageException($"{flag}: no file '{path}'");
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Repository.sln")))
            dir = dir.Parent;
        string built = Path.Combine(dir?.FullName ?? ".", "src", project, "bin", Configuration, "net10.0", dll);
        return File.Exists(built) ? built : throw new UsageException($"no {dll} at {built}: build the solution ({Configuration}) or pass {flag} PATH");
    }
}
