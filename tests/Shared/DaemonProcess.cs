using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Bunker.Tests.Shared;

/// <summary>
/// A real bunkerd process (the built bunkerd.dll beside the tests, or <see cref="BunkerdDll"/>) on a free
/// loopback port, h2c or TLS. The tests and the loopback benchmark both start their daemons here.
/// Compiled into each test project that needs it; that project must reference src/Server.
/// </summary>
public sealed class DaemonProcess : IAsyncDisposable
{
    private readonly System.Diagnostics.Process _process;
    private readonly StringBuilder _output = new();
    private readonly Lock _lock = new();

    private DaemonProcess(System.Diagnostics.Process process, string data, int port, bool tls)
    {
        _process = process;
        Data = data;
        Port = port;
        Tls = tls;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_lock) _output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_lock) _output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>The bunkerd.dll to run; the benchmark, which is not built beside it, points this at the build.</summary>
    public static string BunkerdDll { get; set; } = Path.Combine(AppContext.BaseDirectory, "bunkerd.dll");

    public string Data { get; }
    public int Port { get; }
    /// <summary>Whether it serves TLS (https) rather than h2c (http).</summary>
    public bool Tls { get; }
    public string Target => $"127.0.0.1:{Port}";
    public Uri Address => new($"{(Tls ? "https" : "http")}://127.0.0.1:{Port}");
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get { lock (_lock) return _output.ToString(); }
    }

    public string AdminToken => File.ReadAllText(Path.Combine(Data, "admin.token")).Trim();

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts bunkerd with <paramref name="args"/> (plus --data and --listen unless given) and waits until it accepts connections.</summary>
    public static Task<DaemonProcess> StartAsync(string data, IDictionary<string, string>? env = null, params string[] args)
    {
        int port = FreePort();
        return StartOnAsync(data, port, env, [.. args, "--listen", $"127.0.0.1:{port}"]);
    }

    /// <summary>Starts bunkerd serving TLS with a PEM certificate and key (--tls-cert, --tls-key); its <see cref="Address"/> is https.</summary>
    public static Task<DaemonProcess> StartTlsAsync(string data, string certFile, string keyFile, IDictionary<string, string>? env = null, params string[] args)
    {
        int port = FreePort();
        return StartOnAsync(data, port, tls: true, env, [.. args, "--tls-cert", certFile, "--tls-key", keyFile, "--listen", $"127.0.0.1:{port}"]);
    }

    /// <summary>Starts bunkerd configured elsewhere (file, environment) to listen on <paramref name="port"/> with h2c.</summary>
    public static Task<DaemonProcess> StartOnAsync(string data, int port, IDictionary<string, string>? env, params string[] args) =>
        StartOnAsync(data, port, tls: false, env, args);

    /// <summary>Starts bunkerd configured elsewhere to listen on <paramref name="port"/>; <paramref name="tls"/> says whether that configuration turns TLS on.</summary>
    public static async Task<DaemonProcess> StartOnAsync(string data, int port, bool tls, IDictionary<string, string>? env, params string[] args)
    {
        var all = new List<string>(args);
        if (!all.Contains("--data") && env?.ContainsKey("BUNKER_DATA") != true) all.AddRange(["--data", data]);
        var daemon = new DaemonProcess(Spawn(all, env), data, port, tls);
        await daemon.WaitListeningAsync();
        return daemon;
    }

    /// <summary>Runs bunkerd to completion (for arguments that must make it refuse to start).</summary>
    public static async Task<(int Code, string Output)> RunToExitAsync(IDictionary<string, string>? env, params string[] args)
    {
        using var process = Spawn(args, env);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    private static System.Diagnostics.Process Spawn(IEnumerable<string> args, IDictionary<string, string>? env)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(BunkerdDll)!,
        };
        info.ArgumentList.Add(BunkerdDll);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        // Only what the test gives: an inherited BUNKER_ variable (BUNKER_LISTEN, BUNKER_TLS__CERT, ...) would change the daemon.
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("BUNKER_", StringComparison.Ordinal)).ToList())
            info.Environment.Remove(name);
        if (env is not null)
            foreach (var (key, value) in env) info.Environment[key] = value;
        return System.Diagnostics.Process.Start(info) ?? throw new InvalidOperationException("bunkerd did not start");
    }

    private async Task WaitListeningAsync()
    {
        var until = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < until)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"bunkerd exited with {_process.ExitCode}:\n{Output}");
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }
        throw new TimeoutException($"bunkerd did not listen on {Port}:\n{Output}");
    }

    /// <summary>Sends SIGTERM and waits for the process to end; returns its exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan? timeout = null)
    {
        using (var kill = System.Diagnostics.Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            await kill.WaitForExitAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try { await TerminateAsync(TimeSpan.FromSeconds(30)); }
            catch (OperationCanceledException) { _process.Kill(entireProcessTree: true); }
        }
        _process.Dispose();
    }
}
