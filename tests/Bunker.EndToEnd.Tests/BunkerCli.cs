using Bunker.Tests.Shared;

namespace Bunker.EndToEnd.Tests;

/// <summary>The built <c>bunker</c> client (bunker.dll beside the tests), run as its own process as a shell would run it.</summary>
internal static class BunkerCli
{
    /// <summary>Runs <c>bunker ARGS</c> with only the BUNKER_ variables in <paramref name="env"/>: none are inherited.</summary>
    public static Task<ToolRun> RunAsync(IReadOnlyDictionary<string, string> env, params string[] args)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var name in Environment.GetEnvironmentVariables().Keys.OfType<string>())
        {
            if (name.StartsWith("BUNKER_", StringComparison.Ordinal)) environment[name] = null;
        }
        foreach (var (name, value) in env) environment[name] = value;
        string bunker = Path.Combine(AppContext.BaseDirectory, "bunker.dll");
        return ExternalTools.RunSeparatelyAsync("dotnet", [bunker, .. args], AppContext.BaseDirectory, TimeSpan.FromSeconds(90), environment);
    }

    /// <summary>The name: value lines that <c>bunker hello</c> prints, by name.</summary>
    public static Dictionary<string, string> Fields(string stdout) =>
        stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(':', 2))
            .ToDictionary(parts => parts[0], parts => parts.Length > 1 ? parts[1].Trim() : "", StringComparer.Ordinal);
}
