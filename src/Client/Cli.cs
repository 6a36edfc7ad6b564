using System.CommandLine;
using System.Reflection;
using Bunker.Client.Commands;

namespace Bunker.Client;

/// <summary>The <c>bunker</c> command line, runnable in-process: tests pass their own writers and environment.</summary>
public static class Cli
{
    /// <summary>This client's version, sent in Hello so the server can log who talks to it.</summary>
    public static string Version { get; } = "bunker/" +
        (typeof(Cli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0");

    /// <summary>Runs one command line; returns <see cref="ExitCodes.Ok"/>, <see cref="ExitCodes.Failed"/> or <see cref="ExitCodes.Usage"/>.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, Func<string, string?> env)
    {
        ArgumentNullException.ThrowIfNull(args);
        // Tables only for a person: the real console, not redirected. A test's StringWriter gets tab-separated lines.
        var stdoutIsTerminal = ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected;
        var context = new CliContext(stdout, stderr, env, stdoutIsTerminal);
        var root = BuildRootCommand(context);
        var result = root.Parse(args);
        if (result.Errors.Count > 0 && result.Action is not System.CommandLine.Help.HelpAction)
        {
            // The library's own error action exits 1, which scripts would read as a server failure.
            foreach (var error in result.Errors) stderr.WriteLine($"bunker: {error.Message}");
            stderr.WriteLine("Run 'bunker --help' (or 'bunker COMMAND --help') for usage.");
            return ExitCodes.Usage;
        }
        return await result.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr });
    }

    private static RootCommand BuildRootCommand(CliContext context)
    {
        var root = new RootCommand("bunker: the Bunker backup client. Talks to bunkerd over gRPC.")
        {
            HelloCommand.Create(context),
            BackupCommands.Create(context),
            SnapshotsCommand.Create(context),
            LsCommand.Create(context),
            DiffCommand.Create(context),
            DumpCommand.Create(context),
            RestoreCommand.Create(context),
            PgCommands.Create(context),
            Commands.Lifecycle.ForgetCommand.Create(context),
            Commands.Lifecycle.ProtectCommands.Protect(context),
            Commands.Lifecycle.ProtectCommands.Unprotect(context),
            Commands.Lifecycle.GcCommand.Create(context),
            Commands.Lifecycle.CheckCommand.Create(context),
            Commands.Lifecycle.PolicyCommands.Create(context),
            new Command("vm", "VM disk images beyond backup and restore") { VmCommands.Serve(context) },
            new Command("admin", "Tenants, repositories and tokens (admin role)")
            {
                TenantCommands.Create(context),
                RepositoryCommands.Create(context),
                TokenCommands.Create(context),
                StatusCommand.Create(context),
            },
        };
        foreach (var option in context.GlobalOptions) root.Options.Add(option);
        return root;
    }
}
