using System.Text;
using Bunker.Client;

namespace Bunker.Tests.Shared;

/// <summary>How one in-process run of the CLI ended: stdout kept as bytes (dump writes raw file content), stderr as text.</summary>
public sealed record CliRun(int Code, byte[] StdoutBytes, string Stderr)
{
    public string Stdout => Encoding.UTF8.GetString(StdoutBytes);

    public string[] Lines => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public override string ToString() => $"exit {Code}\n--- stdout ---\n{Stdout}--- stderr ---\n{Stderr}";
}

/// <summary>
/// Runs <c>bunker</c> in this process (Cli.RunAsync) with the environment given as a dictionary, so that tests never
/// race on real variables. Stdout is a StreamWriter, so that binary output arrives byte for byte. Compiled into each
/// test project that needs it; that project must reference src/Client.
/// </summary>
public static class InProcessCli
{
    public static async Task<CliRun> RunAsync(IReadOnlyDictionary<string, string> env, params string[] args)
    {
        var bytes = new MemoryStream();
        await using var stdout = new StreamWriter(bytes, new UTF8Encoding(false), leaveOpen: true);
        var stderr = new StringWriter();
        int code = await Cli.RunAsync(args, stdout, stderr, name => env.GetValueOrDefault(name));
        await stdout.FlushAsync();
        return new CliRun(code, bytes.ToArray(), stderr.ToString());
    }

    /// <summary>Runs with an empty environment.</summary>
    public static Task<CliRun> RunAsync(params string[] args) => RunAsync(new Dictionary<string, string>(), args);

    /// <summary>Runs and requires exit 0.</summary>
    public static async Task<CliRun> OkAsync(IReadOnlyDictionary<string, string> env, params string[] args)
    {
        var result = await RunAsync(env, args);
        Assert.True(result.Code == 0, $"bunker {string.Join(' ', args)}: {result}");
        return result;
    }
}
