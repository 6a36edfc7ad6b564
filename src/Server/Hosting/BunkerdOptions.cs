namespace Bunker.Server.Hosting;

/// <summary>
/// bunkerd's settings. They bind from appsettings.json, then BUNKER_-prefixed environment
/// variables (BUNKER_LISTEN, BUNKER_TLS__CERT), then arguments (--listen, --tls-cert), the later
/// winning, as ASP.NET Core configuration does.
/// </summary>
public sealed class BunkerdOptions
{
    /// <summary>Data directory: master key, index, repositories, admin.token.</summary>
    public string Data { get; set; } = "bunker-data";
    /// <summary>HOST:PORT to listen on. h2c unless TLS is configured.</summary>
    public string Listen { get; set; } = "127.0.0.1:7070";
    public TlsOptions Tls { get; set; } = new();
    /// <summary>Concurrent backup sessions; more are refused with RESOURCE_EXHAUSTED.</summary>
    public int MaxSessions { get; set; } = 256;
    /// <summary>Distinct digests one session may upload or have confirmed (about 50 bytes each in memory).</summary>
    public int MaxSessionDigests { get; set; } = 8_000_000;
    /// <summary>Largest gRPC message accepted, bytes. Must hold the largest chunk plus framing.</summary>
    public int MaxMessageSize { get; set; } = Storage.Packs.PackFormat.MaxChunkSize + (1 << 20);
    /// <summary>How long shutdown waits for calls to end after aborting sessions.</summary>
    public int ShutdownSeconds { get; set; } = 30;
    /// <summary>Pack seal size in bytes (default 32 MiB).</summary>
    public int PackTargetSize { get; set; } = Storage.Packs.PackFormat.DefaultTargetSize;
    /// <summary>Named stores (see <see cref="Stores.StoreSettings"/>); "local", the data directory's repos/, exists unless defined here.</summary>
    public Dictionary<string, Stores.StoreSettings> Stores { get; set; } = new(StringComparer.Ordinal);
    /// <summary>The store new repositories go to.</summary>
    public string DefaultStore { get; set; } = Server.Stores.StoreCatalog.LocalName;
    /// <summary>TENANT/REPOSITORY to a store name, for new repositories that should not go to the default.</summary>
    public Dictionary<string, string> RepositoryStores { get; set; } = new(StringComparer.Ordinal);
    /// <summary>How often fallback members are probed.</summary>
    public double ProbeSeconds { get; set; } = 10;
    /// <summary>How often reconciliation (fallback back to primary) and tiering (hot to cold) run.</summary>
    public double StoreJobSeconds { get; set; } = 60;
    /// <summary>How often the lifecycle jobs look for scheduled retention and checks that are due (each repository's policy says how often they run).</summary>
    public double LifecycleSeconds { get; set; } = 60;
    /// <summary>How long a pack condemned by garbage collection stays before it is deleted: longer than any read that may still hold its location.</summary>
    public double GcGraceSeconds { get; set; } = 900;
    /// <summary>The clock commit times and the lifecycle schedule read; tests move it.</summary>
    internal TimeProvider Clock { get; set; } = TimeProvider.System;

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Data)) throw new ArgumentException("Data (--data) must name a directory");
        ListenAddress.Parse(Listen);
        if (string.IsNullOrEmpty(Tls.Cert) != string.IsNullOrEmpty(Tls.Key))
            throw new ArgumentException("TLS needs both a certificate (--tls-cert) and a key (--tls-key)");
        if (MaxSessions < 1) throw new ArgumentException("MaxSessions must be at least 1");
        if (MaxSessionDigests < 1024) throw new ArgumentException("MaxSessionDigests must be at least 1024");
        if (MaxMessageSize < Storage.Packs.PackFormat.MaxChunkSize + 4096)
            throw new ArgumentException($"MaxMessageSize must be at least {Storage.Packs.PackFormat.MaxChunkSize + 4096} to carry the largest chunk");
        if (ShutdownSeconds < 0) throw new ArgumentException("ShutdownSeconds must not be negative");
        if (ProbeSeconds <= 0 || StoreJobSeconds <= 0) throw new ArgumentException("ProbeSeconds and StoreJobSeconds must be positive");
        if (LifecycleSeconds <= 0 || double.IsNaN(LifecycleSeconds)) throw new ArgumentException("LifecycleSeconds must be positive");
        if (GcGraceSeconds < 0 || double.IsNaN(GcGraceSeconds)) throw new ArgumentException("GcGraceSeconds must not be negative");
    }
}

public sealed class TlsOptions
{
    /// <summary>PEM certificate (chain) file.</summary>
    public string? Cert { get; set; }
    /// <summary>PEM private key file.</summary>
    public string? Key { get; set; }
}

/// <summary>A parsed HOST:PORT.</summary>
public readonly record struct ListenAddress(System.Net.IPAddress Address, int Port)
{
    public static ListenAddress Parse(string text)
    {
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int port) || port > 65535)
            throw new ArgumentException($"listen address '{text}' is not HOST:PORT");
        string host = text[..colon].Trim('[', ']');
        System.Net.IPAddress address;
        if (host is "localhost") address = System.Net.IPAddress.Loopback;
        else if (host is "*" or "0.0.0.0") address = System.Net.IPAddress.Any;
        else if (!System.Net.IPAddress.TryParse(host, out address!))
            throw new ArgumentException($"listen address '{text}': '{host}' is not an IP address (or localhost, *)");
        return new ListenAddress(address, port);
    }
}
