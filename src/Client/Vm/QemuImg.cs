using System.Diagnostics;

namespace Bunker.Client.Vm;

/// <summary>qemu-img, for the image formats bunker does not write itself.</summary>
internal static class QemuImg
{
    public static async Task ConvertToQcow2Async(string raw, string qcow2, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("qemu-img") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { "convert", "-f", "raw", "-O", "qcow2", raw, qcow2 }) info.ArgumentList.Add(arg);
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new CommandFailedException($"qemu-img is needed for --format qcow2 (apt-get install qemu-utils): {e.Message}");
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.StandardOutput.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                File.Delete(qcow2);
                throw new CommandFailedException($"qemu-img convert failed: {(await stderr.ConfigureAwait(false)).Trim()}");
            }
        }
    }
}
