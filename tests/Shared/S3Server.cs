using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Bunker.Tests.Shared;

/// <summary>
/// A real s3rver (npm, tests/s3) on a loopback port with a directory of its own and one bucket, the S3-compatible
/// server the pack store tests run against. It can be killed and started again on the same port and directory, as a
/// primary that dies and comes back. Compiled into each test project that needs it.
/// </summary>
public sealed class S3Server : IAsyncDisposable
{
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";
    private readonly StringBuilder _output = new();
    private readonly Lock _lock = new();
    private Process? _process;

    private S3Server(string directory, int port, string bucket)
    {
        Directory = directory;
        Port = port;
        Bucket = bucket;
    }

    public string Directory { get; }
    public int Port { get; }
    public string Bucket { get; }
    public Uri Endpoint => new($"http://127.0.0.1:{Port}");
    public bool Running => _process is { HasExited: false };
    public string Output { get { lock (_lock) return _output.ToString(); } }

    /// <summary>The file s3rver keeps an object's bytes in (to damage it behind the server's back).</summary>
    public string ObjectFile(string key) => Path.Combine(Directory, Bucket, key + "._S3rver_object");

    public static async Task<S3Server> StartAsync(string directory, string bucket = "bunker")
    {
        System.IO.Directory.CreateDirectory(directory);
        var server = new S3Server(directory, DaemonProcess.FreePort(), bucket);
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts (again) on the same port and directory; returns once it accepts connections.</summary>
    public async Task StartAgainAsync()
    {
        if (Running) return;
        string s3 = await ExternalTools.S3DirectoryAsync();
        var info = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // s3rver makes ListObjectsV2 continuation tokens with DES, which Node's OpenSSL 3 has only in its legacy provider.
        foreach (var arg in new[] { "--openssl-legacy-provider", Path.Combine(s3, "node_modules", "s3rver", "bin", "s3rver.js"), "-d", Directory, "-a", "127.0.0.1", "-p", Port.ToString(), "-s", "--configure-bucket", Bucket })
            info.ArgumentList.Add(arg);
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_lock) _output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_lock) _output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        for (int i = 0; i < 300; i++)
        {
            if (process.HasExited) throw new InvalidOperationException($"s3rver exited with {process.ExitCode}:\n{Output}");
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }
        throw new TimeoutException($"s3rver did not listen on {Port}:\n{Output}");
    }

    /// <summary>Kills the server at once, as a crash or a lost site would.</summary>
    public async Task KillAsync()
    {
        if (_process is null) return;
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A test that damaged files may leave some; the scratch area is temporary anyway.
        }
    }
}
