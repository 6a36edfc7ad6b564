using System.CommandLine;
using System.Text.Json.Nodes;
using Bunker.Protocol.V1;

namespace Bunker.Client.Commands.Lifecycle;

/// <summary>
/// <c>bunker protect SNAPSHOT</c> (operator or admin) and <c>bunker unprotect SNAPSHOT</c> (admin): a protected
/// snapshot is never removed by forget, by the scheduled policy, or by a deletion.
/// </summary>
internal static class ProtectCommands
{
    public static Command Protect(CliContext context) => Create(context, "protect", "Protect a snapshot: no forget, policy or deletion removes it", unprotect: false);

    public static Command Unprotect(CliContext context) => Create(context, "unprotect", "Lift a snapshot's protection (admin role)", unprotect: true);

    private static Command Create(CliContext context, string name, string description, bool unprotect)
    {
        var repository = CliContext.RepositoryOption("the repository (default: $BUNKER_REPOSITORY)");
        var snapshot = new Argument<string>("SNAPSHOT") { Description = "a snapshot id, a unique prefix of one (at least 4 hex digits), or 'latest'" };
        var command = new Command(name, description) { repository, snapshot };
        context.SetAction(command, async call =>
        {
            var response = await call.Connection.Maintenance.ProtectAsync(new ProtectRequest
            {
                Repository = SnapshotArgument.Repository(call),
                Snapshot = call.Result.GetValue(snapshot)!,
                Unprotect = unprotect,
            }, call.Options());
            string id = Convert.ToHexStringLower(response.Id.Span);
            call.Output.WriteRecord(new JsonObject { ["id"] = id, ["protected"] = response.Protected },
                $"snapshot {id[..8]} is {(response.Protected ? "protected" : "no longer protected")}");
        }, repository);
        return command;
    }
}
