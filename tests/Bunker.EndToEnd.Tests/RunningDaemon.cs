using Bunker.Tests.Shared;

namespace Bunker.EndToEnd.Tests;

/// <summary>One real bunkerd (h2c) on a fresh data directory, shared by a test class.</summary>
public sealed class RunningDaemon : IAsyncLifetime
{
    public string Root { get; } = Directory.CreateTempSubdirectory("bunker-e2e-").FullName;
    public DaemonProcess Daemon { get; private set; } = null!;

    /// <summary>The bootstrap admin token file bunkerd wrote on its first start.</summary>
    public string AdminTokenFile => Path.Combine(Daemon.Data, "admin.token");

    /// <summary>What an operator exports to use the bootstrap token: BUNKER_SERVER and BUNKER_TOKEN_FILE.</summary>
    public Dictionary<string, string> AdminEnvironment => new()
    {
        ["BUNKER_SERVER"] = Daemon.Address.ToString(),
        ["BUNKER_TOKEN_FILE"] = AdminTokenFile,
    };

    public Dictionary<string, string> TokenEnvironment(string token, string? repository = null)
    {
        var env = new Dictionary<string, string> { ["BUNKER_SERVER"] = Daemon.Address.ToString(), ["BUNKER_TOKEN"] = token };
        if (repository is not null) env["BUNKER_REPOSITORY"] = repository;
        return env;
    }

    public async Task InitializeAsync() => Daemon = await DaemonProcess.StartAsync(Path.Combine(Root, "data"));

    public async Task DisposeAsync()
    {
        await Daemon.DisposeAsync();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
