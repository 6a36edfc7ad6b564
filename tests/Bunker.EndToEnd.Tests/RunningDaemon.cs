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

    /// <summary>Makes <paramref name="tenant"/> and its <paramref name="repositories"/>; returns a backup+restore token for the tenant.</summary>
    public Task<string> TenantAsync(string tenant, params string[] repositories) => TenantAsync(AdminEnvironment, tenant, repositories);

    /// <summary>
    /// Makes a tenant and its repositories with the admin commands (in this process) as <paramref name="admin"/> says, and returns a
    /// backup+restore token for the tenant, or only for repository <paramref name="scope"/> when given.
    /// </summary>
    public static async Task<string> TenantAsync(IReadOnlyDictionary<string, string> admin, string tenant, string[] repositories, string? scope = null)
    {
        await InProcessCli.OkAsync(admin, "admin", "tenant", "create", tenant);
        foreach (var repository in repositories)
            await InProcessCli.OkAsync(admin, "admin", "repo", "create", $"{tenant}/{repository}");
        string[] create = ["admin", "token", "create", "--tenant", tenant, "--role", "backup", "--role", "restore"];
        if (scope is not null) create = [.. create, "--repo", scope];
        return (await InProcessCli.OkAsync(admin, create)).Stdout.Trim();
    }

    public async Task InitializeAsync() => Daemon = await DaemonProcess.StartAsync(Path.Combine(Root, "data"));

    public async Task DisposeAsync()
    {
        await Daemon.DisposeAsync();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
