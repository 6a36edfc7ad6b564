using System.Diagnostics;
using Bunker.Tests.Shared;

namespace Bunker.Client.Tests.Vm;

/// <summary>Real NBD peers for the tests: qemu-nbd and nbdkit started on a unix socket, nbdinfo, nbdcopy and qemu-img run to their end.</summary>
internal static class NbdTools
{
    /// <summary>Starts <paramref name="file"/> and waits until <paramref name="socket"/> exists; the process is killed by disposing the result.</summary>
    public static async Task<RunningTool> StartAsync(string socket, string file, params string[] args)
    {
        // nbdkit asks for PR_SET_PDEATHSIG (SIGTERM) when it starts, and the kernel sends that when the *thread* that
        // forked it exits: a test's thread-pool thread may end at any moment. A shell that waits for it is a parent
        // that lives exactly as long as it does.
        var info = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])["-c", "\"$0\" \"$@\"; exit $?", file, .. args]) info.ArgumentList.Add(arg);
        var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        for (int i = 0; i < 200 && !File.Exists(socket) && !process.HasExited; i++) await Task.Delay(25);
        if (!File.Exists(socket))
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            Assert.Fail($"{file} did not listen on {socket} (exit {(process.HasExited ? process.ExitCode : -1)}): {await stderr}");
        }
        return new RunningTool(process);
    }

    public static async Task<ToolRun> RunAsync(string tool, params string[] args)
    {
        var run = await ExternalTools.RunSeparatelyAsync(tool, args, "/", TimeSpan.FromMinutes(2));
        Assert.True(run.Code == 0, $"{tool} {string.Join(' ', args)}: {run}");
        return run;
    }
}

internal sealed class RunningTool(Process process) : IDisposable
{
    public Process Process { get; } = process;

    public void Dispose()
    {
        if (!Process.HasExited) Process.Kill(entireProcessTree: true);
        Process.WaitForExit(5000);
        Process.Dispose();
    }
}
