using System.CommandLine;
using System.Text.Json.Nodes;
using Bunker.Client.Output;
using Bunker.Protocol.V1;

namespace Bunker.Client.Commands;

/// <summary><c>bunker admin tenant create|list</c>: needs an admin of the system tenant.</summary>
internal static class TenantCommands
{
    public static Command Create(CliContext context) => new("tenant", "Create and list tenants (system admin)")
    {
        CreateCommand(context),
        ListCommand(context),
    };

    private static Command CreateCommand(CliContext context)
    {
        var name = new Argument<string>("NAME") { Description = "the new tenant's name" };
        var command = new Command("create", "Create a tenant") { name };
        context.SetAction(command, async call =>
        {
            var tenant = await call.Connection.Admin.CreateTenantAsync(new CreateTenantRequest { Name = call.Result.GetRequiredValue(name) }, call.Options());
            call.Output.WriteRecord(ToJson(tenant), $"created tenant {tenant.Name}");
        });
        return command;
    }

    private static Command ListCommand(CliContext context)
    {
        var command = new Command("list", "List tenants");
        context.SetAction(command, async call =>
        {
            var response = await call.Connection.Admin.ListTenantsAsync(new ListTenantsRequest(), call.Options());
            call.Output.WriteList(response.Tenants, ToJson, ["TENANT", "CREATED"], t => [t.Name, Formats.Time(t.CreatedUnix)]);
        });
        return command;
    }

    private static JsonObject ToJson(TenantInfo tenant) => new()
    {
        ["name"] = tenant.Name,
        ["created"] = Formats.JsonTime(tenant.CreatedUnix),
    };
}
