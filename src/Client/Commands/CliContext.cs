using System.CommandLine;
using Bunker.Client.Connection;
using Bunker.Client.Output;
using Bunker.Protocol.Grpc;

namespace Bunker.Client.Commands;

/// <summary>
/// What every command shares: the process's writers and environment, the global options, and the one place that
/// turns a command's outcome into an exit code and a one-line message.
/// </summary>
internal sealed class CliContext(TextWriter stdout, TextWriter stderr, Func<string, string?> environment, bool stdoutIsTerminal)
{
    public Option<string> Server { get; } = new("--server")
    {
        Description = $"bunkerd URL, http:// or https:// (default: ${ConnectionSettings.ServerVariable}, else {ConnectionSettings.DefaultServer})",
        HelpName = "URL",
        Recursive = true,
    };

    public Option<string> Token { get; } = new("--token")
    {
        Description = $"bearer token (default: ${ConnectionSettings.TokenVariable}); prefer --token-file, as arguments show in ps",
        HelpName = "TOKEN",
        Recursive = true,
    };

    public Option<string> TokenFile { get; } = new("--token-file")
    {
        Description = $"read the token from the first line of this file (default: ${ConnectionSettings.TokenFileVariable})",
        HelpName = "FILE",
        Recursive = true,
    };

    public Option<string> CaCertificate { get; } = new("--ca-cert")
    {
        Description = $"PEM file of the CA that signed an https server's certificate (default: ${ConnectionSettings.CaCertificateVariable})",
        HelpName = "FILE",
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "print JSON instead of text",
        Recursive = true,
    };

    /// <summary>
    /// True when a long command should draw a progress bar: stderr is the real, unredirected console and
    /// the output is not JSON. Tests and pipes get none.
    /// </summary>
    public bool ProgressEnabled(CommandCall call) =>
        ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected && !call.Output.Json;

    public IEnumerable<Option> GlobalOptions => [Server, Token, TokenFile, CaCertificate, Json];

    /// <summary>A <c>--repo</c> option for commands that work in one repository; it falls back to $BUNKER_REPOSITORY.</summary>
    public static Option<string> RepositoryOption(string description) => new("--repo") { HelpName = "REPO", Description = description };

    /// <summary>A <c>--tenant</c> option; the server takes an empty tenant as the token's own.</summary>
    public static Option<string> TenantOption(string description) => new("--tenant") { HelpName = "TENANT", Description = description };

    /// <summary>
    /// Makes <paramref name="body"/> the command's action. It runs with an open connection; <paramref name="repository"/>,
    /// when the command has that option, feeds <see cref="ConnectionSettings.Repository"/>.
    /// </summary>
    /// <param name="failureCode">What every failure exits with, instead of <see cref="ExitCodes.Usage"/> or <see cref="ExitCodes.Failed"/>,
    /// for a command whose caller reads exit codes its own way (PostgreSQL's restore_command).</param>
    public void SetAction(Command command, Func<CommandCall, Task> body, Option<string>? repository = null, int? failureCode = null) =>
        command.SetAction((result, ct) => RunAsync(result, body, repository, failureCode, ct));

    private async Task<int> RunAsync(ParseResult result, Func<CommandCall, Task> body, Option<string>? repository, int? failureCode, CancellationToken ct)
    {
        var output = new CommandOutput(stdout, stderr, stdoutIsTerminal, result.GetValue(Json));
        ConnectionSettings? settings = null;
        try
        {
            var flags = new ConnectionFlags(
                result.GetValue(Server),
                result.GetValue(Token),
                result.GetValue(TokenFile),
                repository is null ? null : result.GetValue(repository),
                result.GetValue(CaCertificate));
            settings = ConnectionSettings.Resolve(flags, environment);
            using var connection = BunkerConnection.Open(settings);
            var call = new CommandCall(result, connection, output, ct);
            await body(call);
            return call.ExitCode;
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"bunker: {e.Message}");
            return failureCode ?? ExitCodes.Usage;
        }
        catch (CommandFailedException e)
        {
            stderr.WriteLine($"bunker: {e.Message}");
            return failureCode ?? ExitCodes.Failed;
        }
        catch (RpcException e)
        {
            stderr.WriteLine(ErrorReport.Describe(e.Status, settings?.Server, settings?.CaCertificateFile));
            return failureCode ?? ExitCodes.Failed;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Anything else is a bug or an environment problem (a full disk writing stdout); one line, not a stack trace.
            stderr.WriteLine($"bunker: {e.GetType().Name}: {e.Message}");
            return failureCode ?? ExitCodes.Failed;
        }
    }
}

/// <summary>One run of a command: its parsed arguments, the connection, where to write, and the run's cancellation.</summary>
internal sealed record CommandCall(ParseResult Result, BunkerConnection Connection, CommandOutput Output, CancellationToken CancellationToken)
{
    /// <summary>Options for one call: token, deadline (the connection's default unless given) and this run's cancellation.</summary>
    public CallOptions Options(TimeSpan? timeout = null) => Connection.Call(CancellationToken, timeout);

    /// <summary>What the process exits with when the body returns: <see cref="ExitCodes.Ok"/> unless the body says otherwise (<see cref="ExitCodes.Incomplete"/>).</summary>
    public int ExitCode { get; set; } = ExitCodes.Ok;
}
