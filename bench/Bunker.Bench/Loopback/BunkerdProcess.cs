using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace Bunker.Bench.Loopback;

/// <summary>
/// A real bunkerd (`dotnet bunkerd.dll`) over a fresh data directory on a free loopback port: the
/// server side of the loopback benchmark, in its own process so that its memory can be read apart.
/// </summary>
internal sealed partial class BunkerdProcess : IAsyncDisposable
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Lock _lock = new();

    private BunkerdProcess(Process process, string data, int port)
    {
        _process = process;
        Data = data;
        Address = new Uri($"http://127.0.0.1:{port}");
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Data { get; }
    public Uri Address { get; }
    public int Pid => _process.Id;

    /// <summary>The bootstrap admin token bunkerd writes on its first start.</summary>
    public string AdminToken => File.ReadAllText(Path.Combine(Data, "admin.token")).Trim();

    public string Output
    {
        get { lock (_lock) return _output.ToString(); }
    }

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

    /// <summary>Starts bunkerd and waits until it accepts connections and has written its admin token.</summary>
    public static async Task<BunkerdProcess> StartAsync(string dll, string data)
    {
        int port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        foreach (var arg in new[] { dll, "--data", data, "--listen", $"127.0.0.1:{port}" })
            start.ArgumentList.Add(arg);
        // Settings from the environment would change what is measured (or where the data goes).
        foreach (var name in new[] { "BUNKER_ADMIN_TOKEN", "BUNKER_PASSPHRASE", "BUNKER_MASTER_KEY_FILE", "BUNKER_LISTEN", "BUNKER_DATA" })
            start.Environment.Remove(name);
        var server = new BunkerdProcess(Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start"), data, port);
        try
        {
            await server.WaitReadyAsync(port);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM: bunkerd seals open packs and closes its index, as in production.
            _ = Kill(_process.Id, 15);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try { await _process.WaitForExitAsync(timeout.Token); }
            catch (OperationCanceledException) { _process.Kill(entireProcessTree: true); }
        }
        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        lock (_lock) _output.AppendLine(line);
    }

    private async Task WaitReadyAsync(int port)
    {
        var until = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < until)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"bunkerd exited with {_process.ExitCode}:\n{Output}");
            if (File.Exists(Path.Combine(Data, "admin.token")))
            {
                try
                {
                    using var client = new TcpClient();
                    await client.ConnectAsync(IPAddress.Loopback, port);
                    return;
                }
                catch (SocketException)
                {
                    // not listening yet
                }
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"bunkerd did not listen on {port}:\n{Output}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}
