using System.Text.Json;
using System.Text.Json.Nodes;
using Bunker.Tests.Shared;

namespace Bunker.EndToEnd.Tests.Stores;

/// <summary>
/// A site for the store tests: two s3rvers (a primary and a fallback), a bunkerd configured with an s3 store on each,
/// a fallback of the two, and a tiered store (hot local, cold the primary), and tenant acme with one repository on
/// each: acme/s3, acme/safe and acme/tier. Probes and store jobs run every half second and second, so tests see
/// health and reconciliation change without waiting minutes.
/// </summary>
internal sealed class StoreSite : IAsyncDisposable
{
    private StoreSite(string root, S3Server primary, S3Server fallback, string config)
    {
        Root = root;
        Primary = primary;
        Fallback = fallback;
        ConfigFile = config;
    }

    public string Root { get; }
    public S3Server Primary { get; }
    public S3Server Fallback { get; }
    public string ConfigFile { get; }
    public DaemonProcess Daemon { get; private set; } = null!;
    public string Token { get; private set; } = null!;
    public string Data => Path.Combine(Root, "data");

    public Dictionary<string, string> Env(string repository) => new()
    {
        ["BUNKER_SERVER"] = Daemon.Address.ToString(), ["BUNKER_TOKEN"] = Token, ["BUNKER_REPOSITORY"] = repository,
    };

    public Dictionary<string, string> AdminEnv => new()
    {
        ["BUNKER_SERVER"] = Daemon.Address.ToString(), ["BUNKER_TOKEN_FILE"] = Path.Combine(Daemon.Data, "admin.token"),
    };

    public static async Task<StoreSite> StartAsync()
    {
        string root = Directory.CreateTempSubdirectory("bunker-stores-").FullName;
        var primary = await S3Server.StartAsync(Path.Combine(root, "s3-primary"));
        var fallback = await S3Server.StartAsync(Path.Combine(root, "s3-fallback"));
        JsonObject S3(S3Server server) => new()
        {
            ["Type"] = "s3", ["Endpoint"] = server.Endpoint.ToString(), ["Bucket"] = server.Bucket, ["Prefix"] = "site/",
            ["AccessKey"] = S3Server.AccessKey, ["SecretKey"] = S3Server.SecretKey,
            ["MaxAttempts"] = 3, ["AttemptTimeoutSeconds"] = 2, ["TotalTimeoutSeconds"] = 4,
        };
        var config = new JsonObject
        {
            ["PackTargetSize"] = 2 << 20,
            ["ProbeSeconds"] = 0.5,
            ["StoreJobSeconds"] = 1,
            ["Stores"] = new JsonObject
            {
                ["s3a"] = S3(primary),
                ["s3b"] = S3(fallback),
                ["safe"] = new JsonObject
                {
                    ["Type"] = "fallback", ["Members"] = new JsonArray("s3a", "s3b"),
                    ["FailedProbesToDegrade"] = 1, ["GoodProbesToRecover"] = 2, ["RecoverAfterSeconds"] = 1,
                },
                ["tier"] = new JsonObject
                {
                    ["Type"] = "tiered", ["Hot"] = "local", ["Cold"] = "s3a", ["HotMaxBytes"] = 0,
                    ["CacheDirectory"] = Path.Combine(root, "cache"), ["CacheMaxBytes"] = 256 << 20,
                },
            },
            ["RepositoryStores"] = new JsonObject { ["acme/s3"] = "s3a", ["acme/safe"] = "safe", ["acme/tier"] = "tier" },
        };
        string file = Path.Combine(root, "bunkerd.json");
        await File.WriteAllTextAsync(file, config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        var site = new StoreSite(root, primary, fallback, file);
        site.Daemon = await DaemonProcess.StartAsync(site.Data, null, "--config", file);
        site.Token = await RunningDaemon.TenantAsync(site.AdminEnv, "acme", ["s3", "safe", "tier"]);
        return site;
    }

    /// <summary>Starts a bunkerd on another data directory with the same configuration (after a recovery).</summary>
    public async Task UseDaemonAsync(string data, string token)
    {
        await StopDaemonAsync();
        Daemon = await DaemonProcess.StartAsync(data, null, "--config", ConfigFile);
        _stopped = false;
        Token = token;
    }

    public async Task StopDaemonAsync()
    {
        if (_stopped) return;
        _stopped = true;
        await Daemon.DisposeAsync();
    }

    private bool _stopped;

    /// <summary><c>bunker admin status --json</c>, and its exit code (3 while degraded).</summary>
    public async Task<(int Code, JsonElement Status)> StatusAsync()
    {
        var run = await BunkerCli.RunAsync(AdminEnv, "admin", "status", "--json");
        Assert.True(run.Code is 0 or 3, run.ToString());
        return (run.Code, JsonDocument.Parse(run.Stdout).RootElement);
    }

    /// <summary>Packs of <paramref name="repository"/> by where they are, from the status.</summary>
    public async Task<Dictionary<string, long>> PacksAsync(string repository)
    {
        var (_, status) = await StatusAsync();
        var entry = status.GetProperty("repositories").EnumerateArray().Single(r => r.GetProperty("repository").GetString() == "acme/" + repository);
        return entry.GetProperty("packs_by_location").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());
    }

    /// <summary>Polls until <paramref name="done"/> holds, or fails after <paramref name="seconds"/>.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> done, string what, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await done())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out after {seconds} s waiting until {what}");
            await Task.Delay(250);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopDaemonAsync();
        await Primary.DisposeAsync();
        await Fallback.DisposeAsync();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
