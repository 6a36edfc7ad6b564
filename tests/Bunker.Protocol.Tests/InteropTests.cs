using System.Diagnostics;
using System.Text.Json;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.Tests.Echo;

namespace Bunker.Protocol.Tests;

/// <summary>An independent stack, Node's @grpc/grpc-js (tests/interop/client.js), calls our server.</summary>
public sealed class InteropTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static readonly SemaphoreSlim NpmLock = new(1, 1);

    private static string InteropDirectory()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Repository.sln"))) dir = dir.Parent;
        return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("Repository.sln not found above the test binaries."), "tests", "interop");
    }

    private static async Task<string> EnsureNodeModulesAsync()
    {
        var dir = InteropDirectory();
        await NpmLock.WaitAsync();
        try
        {
            if (!Directory.Exists(Path.Combine(dir, "node_modules", "@grpc", "grpc-js")))
            {
                const string args = "ci --no-audit --no-fund"; // the lock file is committed
                var (code, output) = await RunAsync("npm", args, dir, TimeSpan.FromSeconds(120));
                Assert.True(code == 0, "npm failed: " + output);
            }
        }
        finally
        {
            NpmLock.Release();
        }
        return dir;
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, string args, string dir, TimeSpan timeout)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args)
        {
            WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        })!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    [Fact]
    public async Task Node_grpc_js_client_calls_our_server()
    {
        var dir = await EnsureNodeModulesAsync();
        var (code, output) = await RunAsync("node", $"client.js {server.Address.Host}:{server.Address.Port}", dir, TimeSpan.FromSeconds(30));
        Assert.True(code == 0, output);
        using var json = JsonDocument.Parse(output.Split('\n').First(l => l.StartsWith('{')));
        var root = json.RootElement;

        var unary = root.GetProperty("unary");
        Assert.Equal("hello from node", unary.GetProperty("message").GetString());
        Assert.Equal("from node", unary.GetProperty("headers").GetProperty("text").GetString());
        Assert.Equal("000102ff", unary.GetProperty("headers").GetProperty("bin").GetString());

        var error = root.GetProperty("unaryError");
        Assert.Equal((int)StatusCode.NotFound, error.GetProperty("code").GetInt32());
        Assert.Equal("nope ✓ 100%", error.GetProperty("details").GetString());
        Assert.Equal("detail for NotFound", error.GetProperty("detail").GetString());

        var stream = root.GetProperty("serverStream");
        Assert.Equal([0, 1, 2], stream.GetProperty("indexes").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(0, stream.GetProperty("code").GetInt32());

        Assert.Equal("SERVING", root.GetProperty("health").GetProperty("status").GetString());
        Assert.Equal((int)StatusCode.NotFound, root.GetProperty("healthUnknown").GetProperty("code").GetInt32());
    }
}
