using System.Security.Cryptography.X509Certificates;
using Bunker.Index;
using Bunker.Protocol.Grpc;
using Bunker.Server.Services;
using Bunker.Server.Sessions;
using Bunker.Server.Tenancy;
using Bunker.Storage;
using Bunker.Storage.Crypto;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Bunker.Server.Hosting;

/// <summary>
/// The daemon: configuration, the data directory, the index, the registry and the gRPC services
/// on Kestrel. On shutdown it aborts open sessions (their uploads are sealed and kept, nothing is
/// committed half-way), waits for calls to end, then closes the repositories: packs handed to the store finish,
/// what is left in open packs (never promised durable) is dropped, and the index is closed.
/// </summary>
public sealed class Bunkerd : IAsyncDisposable
{
    /// <summary>The command-line switches and the settings they set; <see cref="ServeCommand"/> refuses any other.</summary>
    internal static readonly Dictionary<string, string> SwitchMappings = new(StringComparer.Ordinal)
    {
        ["--data"] = "Data",
        ["--listen"] = "Listen",
        ["--tls-cert"] = "Tls:Cert",
        ["--tls-key"] = "Tls:Key",
        ["--max-sessions"] = "MaxSessions",
        ["--config"] = "Config",
    };

    private readonly BunkerIndex _index;
    private readonly MasterKey _masterKey;
    private int _disposed;

    private Bunkerd(WebApplication app, BunkerdOptions options, BunkerIndex index, MasterKey masterKey, RepositoryHost host, SessionRegistry sessions)
    {
        App = app;
        Options = options;
        _index = index;
        _masterKey = masterKey;
        Host = host;
        Sessions = sessions;
    }

    public WebApplication App { get; }
    public BunkerdOptions Options { get; }
    public RepositoryHost Host { get; }
    public SessionRegistry Sessions { get; }
    public Registry Registry => Host.Registry;

    /// <summary>Reads configuration (appsettings.json, BUNKER_ variables, arguments) into options.</summary>
    public static BunkerdOptions ReadOptions(string[] args)
    {
        // An explicit --config file sits above appsettings.json but below variables and arguments,
        // so the layers are read once to find it and then built for real.
        IConfigurationRoot Layers(string? explicitFile)
        {
            var builder = new ConfigurationBuilder()
                .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
                .AddJsonFile("appsettings.json", optional: true);
            if (explicitFile is not null)
                builder.AddJsonFile(Path.GetFullPath(explicitFile), optional: false);
            return builder.AddEnvironmentVariables("BUNKER_").AddCommandLine(args, SwitchMappings).Build();
        }

        var first = Layers(null);
        if (first["Config"] is { Length: > 0 } explicitFile)
        {
            if (!File.Exists(explicitFile))
                throw new ArgumentException($"configuration file '{explicitFile}' does not exist");
            first = Layers(explicitFile);
        }
        var options = new BunkerdOptions();
        try
        {
            first.Bind(options);
        }
        catch (InvalidOperationException e)
        {
            throw new ArgumentException($"configuration: {e.Message}", e);
        }
        options.Validate();
        return options;
    }

    /// <summary>
    /// Opens the data directory and builds the daemon. <paramref name="customize"/> may change the
    /// web host before it is built (tests swap Kestrel for a TestServer).
    /// </summary>
    public static Bunkerd Create(BunkerdOptions options, Func<string, string?>? env = null, Action<WebApplicationBuilder>? customize = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        options.Validate();
        Directory.CreateDirectory(options.Data);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ "; o.UseUtcTimestamp = true; });
        // Per-request framework logs would drown what bunkerd itself says.
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(options.ShutdownSeconds));
        ConfigureKestrel(builder, options);
        customize?.Invoke(builder);

        using var loggerFactory = LoggerFactory.Create(l => l.AddSimpleConsole(o => o.SingleLine = true));
        var startupLog = loggerFactory.CreateLogger("bunkerd");

        // The stores first: a configuration mistake stops start-up before the data directory is touched.
        var stores = Stores.StoreCatalog.Create(options);
        var masterKey = DataDirectory.LoadOrCreateMasterKey(options.Data, env, message => startupLog.LogWarning("{Message}", message));
        BunkerIndex index;
        try
        {
            index = BunkerIndex.Open(new IndexOptions { Path = DataDirectory.IndexPath(options.Data) });
        }
        catch
        {
            masterKey.Dispose();
            throw;
        }

        var registry = new Registry(index);
        if (env("BUNKER_ADMIN_TOKEN") is { Length: > 0 } adminToken)
        {
            registry.AcceptEnvironmentAdminToken(adminToken);
            registry.Bootstrap(generateToken: false, _ => { });
        }
        else if (registry.Bootstrap(generateToken: true, token => DataDirectory.WriteAdminToken(options.Data, token)))
        {
            startupLog.LogWarning("Created the bootstrap admin token in {Path} (0600). Use it to create tenants, repositories and tokens.",
                Path.GetFullPath(DataDirectory.AdminTokenPath(options.Data)));
        }

        var sessions = new SessionRegistry(options.MaxSessions);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(registry);
        builder.Services.AddSingleton(sessions);
        builder.Services.AddSingleton(stores);
        builder.Services.AddSingleton(sp => new RepositoryHost(stores, index, masterKey, registry,
            new RepositoryOptions { PackTargetSize = options.PackTargetSize, Clock = options.Clock }, sp.GetRequiredService<ILoggerFactory>().CreateLogger<RepositoryHost>()));
        builder.Services.AddSingleton<Stores.StoreJobs>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Stores.StoreJobs>());
        builder.Services.AddSingleton<Lifecycle.RepositoryMaintenance>();
        builder.Services.AddSingleton<Lifecycle.LifecycleJobs>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Lifecycle.LifecycleJobs>());
        builder.Services.AddSingleton<RepositoryService>();
        builder.Services.AddSingleton<MaintenanceService>();
        builder.Services.AddSingleton<AdminService>();
        builder.Services.AddBunkerGrpc(o =>
        {
            o.MaxReceiveMessageSize = options.MaxMessageSize;
            o.PreCallHooks.Add(CallAuth.Hook(registry));
        });

        var app = builder.Build();
        app.MapBunkerGrpcService<RepositoryService>();
        app.MapBunkerGrpcService<AdminService>();
        app.MapBunkerGrpcService<MaintenanceService>();
        app.MapBunkerGrpcService<HealthService>();

        var health = app.Services.GetRequiredService<HealthService>();
        health.SetStatus(Protocol.V1.Repository.ServiceName, ServingStatus.Serving);
        health.SetStatus(Protocol.V1.Admin.ServiceName, ServingStatus.Serving);
        health.SetStatus(Protocol.V1.Maintenance.ServiceName, ServingStatus.Serving);
        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        lifetime.ApplicationStopping.Register(() =>
        {
            health.SetStatus("", ServingStatus.NotServing);
            health.SetStatus(Protocol.V1.Repository.ServiceName, ServingStatus.NotServing);
            sessions.AbortAll();
        });

        return new Bunkerd(app, options, index, masterKey, app.Services.GetRequiredService<RepositoryHost>(), sessions);
    }

    private static void ConfigureKestrel(WebApplicationBuilder builder, BunkerdOptions options)
    {
        var listen = ListenAddress.Parse(options.Listen);
        bool tls = !string.IsNullOrEmpty(options.Tls.Cert);
        X509Certificate2? certificate = null;
        if (tls)
        {
            try
            {
                certificate = X509Certificate2.CreateFromPemFile(options.Tls.Cert!, options.Tls.Key);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
            {
                throw new ArgumentException($"TLS: cannot load certificate '{options.Tls.Cert}' with key '{options.Tls.Key}': {e.Message}", e);
            }
        }
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = null;
            // Larger windows than Kestrel's defaults keep a fast link busy; flow control still
            // stops a sender once the server stops reading.
            kestrel.Limits.Http2.InitialConnectionWindowSize = 8 << 20;
            kestrel.Limits.Http2.InitialStreamWindowSize = 4 << 20;
            kestrel.Limits.Http2.MaxStreamsPerConnection = 256;
            kestrel.Listen(listen.Address, listen.Port, endpoint =>
            {
                if (certificate is null)
                {
                    endpoint.Protocols = HttpProtocols.Http2;
                }
                else
                {
                    endpoint.Protocols = HttpProtocols.Http1AndHttp2;
                    endpoint.UseHttps(certificate);
                }
            });
        });
    }

    /// <summary>Runs until SIGTERM/SIGINT, then shuts down cleanly.</summary>
    public Task RunAsync() => App.RunAsync();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Sessions.AbortAll();
        try
        {
            await App.StopAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException)
        {
            // Never started, or already stopped.
        }
        await App.DisposeAsync().ConfigureAwait(false);
        await Host.DisposeAsync().ConfigureAwait(false);
        Host.Stores.Dispose();
        _index.Dispose();
        _masterKey.Dispose();
    }
}
