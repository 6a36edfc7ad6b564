namespace Bunker.Bench.Loopback;

/// <summary>
/// Finds the bunkerd.dll the loopback benchmark runs. The process itself is the tests'
/// DaemonProcess (tests/Shared, linked into this project): SIGTERM on dispose, so bunkerd seals
/// its packs and closes its index as in production, and no inherited BUNKER_ settings.
/// </summary>
internal static class BunkerdLocator
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    /// <summary>The given path, else the bunkerd.dll built beside this benchmark (src/Server/bin/CONFIGURATION/net10.0).</summary>
    public static string Locate(string? path)
    {
        if (path is not null)
            return File.Exists(path) ? Path.GetFullPath(path) : throw new UsageException($"--bunkerd: no file '{path}'");
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Repository.sln")))
            dir = dir.Parent;
        string built = Path.Combine(dir?.FullName ?? ".", "src", "Server", "bin", Configuration, "net10.0", "bunkerd.dll");
        return File.Exists(built) ? built : throw new UsageException($"no bunkerd at {built}: build the solution ({Configuration}) or pass --bunkerd PATH");
    }
}
