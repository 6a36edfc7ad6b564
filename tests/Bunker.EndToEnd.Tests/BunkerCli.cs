using Bunker.Tests.Shared;

namespace Bunker.EndToEnd.Tests;

/// <summary>The built <c>bunker</c> client (bunker.dll beside the tests), run as its own process as a shell would run it.</summary>
internal static class BunkerCli
{
    /// <summary>Runs <c>bunker ARGS</c> with only the BUNKER_ variables in <paramref name="env"/>: none are inherited.</summary>
    public static Task<ToolRun> RunAsync(IReadOnlyDictionary<string, string> env, params string[] args) =>
        ExternalTools.RunSeparatelyAsync("dotnet", [Dll, .. args], AppContext.BaseDirectory, TimeSpan.FromSeconds(90), Only(env));

    /// <summary>Runs <c>bunker ARGS</c> as another user (runuser, so the tests must run as root), with the same environment rules.</summary>
    public static Task<ToolRun> RunAsUserAsync(string user, IReadOnlyDictionary<string, string> env, params string[] args) =>
        ExternalTools.RunSeparatelyAsync("runuser", ["-u", user, "--", "dotnet", Dll, .. args], "/", TimeSpan.FromSeconds(90), Only(env));

    private static string Dll => Path.Combine(AppContext.BaseDirectory, "bunker.dll");

    /// <summary>The BUNKER_ variables of <paramref name="env"/> and no inherited ones (null removes a variable).</summary>
    private static Dictionary<string, string?> Only(IReadOnlyDictionary<string, string> env)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var name in Environment.GetEnvironmentVariables().Keys.OfType<string>())
        {
            if (name.StartsWith("BUNKER_", StringComparison.Ordinal)) environment[name] = null;
        }
        foreach (var (name, value) in env) environment[name] = value;
        return environment;
    }

    /// <summary>The name: value lines that <c>bunker hello</c> prints, by name.</summary>
    public static Dictionary<string, string> Fields(string stdout) =>
        stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(':', 2))
            .ToDictionary(parts => parts[0], parts => parts.Length > 1 ? parts[1].Trim() : "", StringComparer.Ordinal);
}
