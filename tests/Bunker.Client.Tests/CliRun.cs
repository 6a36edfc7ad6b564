using Bunker.Client;

namespace Bunker.Client.Tests;

/// <summary>One in-process run of the CLI with a dictionary for the environment, so tests never race on real variables.</summary>
internal sealed record CliRun(int ExitCode, string Stdout, string Stderr)
{
    public static async Task<CliRun> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exitCode = await Cli.RunAsync(args, stdout, stderr, name => environment.GetValueOrDefault(name));
        return new CliRun(exitCode, stdout.ToString(), stderr.ToString());
    }

    public static Task<CliRun> RunAsync(params string[] args) => RunAsync(new Dictionary<string, string>(), args);
}
