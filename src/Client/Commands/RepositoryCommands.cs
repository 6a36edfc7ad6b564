using System.CommandLine;
using System.Text.Json.Nodes;
using Bunker.Client.Arguments;
using Bunker.Client.Output;
using Bunker.Protocol.V1;

namespace Bunker.Client.Commands;

/// <summary><c>bunker admin repo create|list</c>: repositories of the token's tenant, or of any tenant for a system admin.</summary>
internal static class RepositoryCommands
{
    public static Command Create(CliContext context) => new("repo", "Create and list repositories")
    {
        CreateCommand(context),
        ListCommand(context),
    };

    private static Command CreateCommand(CliContext context)
    {
        var path = new Argument<string>("TENANT/REPO") { Description = "the repository to create; just REPO for your own tenant" };
        var command = new Command("create", "Create a repository") { path };
        context.SetAction(command, async call =>
        {
            var (tenant, name) = RepositoryPath.Parse(call.Result.GetRequiredValue(path));
            var created = await call.Connection.Admin.CreateRepositoryAsync(new CreateRepositoryRequest { Tenant = tenant, Name = name }, call.Options());
            call.Output.WriteRecord(ToJson(created), $"created repository {created.Tenant}/{created.Name} (id {Id(created)})");
        });
        return command;
    }

    private static Command ListCommand(CliContext context)
    {
        var tenant = CliContext.TenantOption("list this tenant's repositories (default: your own tenant)");
        var command = new Command("list", "List repositories") { tenant };
        context.SetAction(command, async call =>
        {
            var request = new ListRepositoriesRequest { Tenant = call.Result.GetValue(tenant) ?? "" };
            var response = await call.Connection.Admin.ListRepositoriesAsync(request, call.Options());
            call.Output.WriteList(response.Repositories, ToJson, ["TENANT", "REPOSITORY", "ID", "CREATED"],
                r => [r.Tenant, r.Name, Id(r), Formats.Time(r.CreatedUnix)]);
        });
        return command;
    }

    private static string Id(RepositoryInfo repository) => Convert.ToHexStringLower(repository.Id.Span);

    private static JsonObject ToJson(RepositoryInfo repository) => new()
    {
        ["tenant"] = repository.Tenant,
        ["name"] = repository.Name,
        ["id"] = Id(repository),
        ["created"] = Formats.JsonTime(repository.CreatedUnix),
        ["store"] = repository.Store,
    };
}
