using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Bunker.Client.Output;
using Bunker.Protocol.V1;

namespace Bunker.Client.Commands;

/// <summary><c>bunker hello</c>: checks the server, the token and (with a repository) access to it, and shows what the token may do.</summary>
internal static class HelloCommand
{
    public static Command Create(CliContext context)
    {
        var repository = CliContext.RepositoryOption("also check access to this repository (default: $BUNKER_REPOSITORY)");
        var command = new Command("hello", "Show the server, who the token is, and what it may use") { repository };
        context.SetAction(command, RunAsync, repository);
        return command;
    }

    private static async Task RunAsync(CommandCall call)
    {
        var request = new HelloRequest
        {
            ClientVersion = Cli.Version,
            Repository = call.Connection.Settings.Repository ?? "",
        };
        var hello = await call.Connection.Repository.HelloAsync(request, call.Options());
        var output = call.Output;
        if (output.Json)
        {
            output.WriteJson(new JsonObject
            {
                ["server"] = call.Connection.Settings.Server.GetLeftPart(UriPartial.Authority),
                ["serverVersion"] = hello.ServerVersion,
                ["protocolVersion"] = hello.ProtocolVersion,
                ["tenant"] = hello.Tenant,
                ["roles"] = Formats.JsonRoles(hello.Roles),
                ["repositoryScope"] = Formats.JsonOrNull(hello.RepositoryScope),
                ["repositories"] = Formats.JsonStrings(hello.Repositories),
                ["repository"] = Formats.JsonOrNull(request.Repository),
                ["repositoryId"] = hello.RepositoryId.IsEmpty ? null : Convert.ToHexStringLower(hello.RepositoryId.Span),
                ["maxMessageSize"] = hello.MaxMessageSize,
                ["maxChunkSize"] = hello.MaxChunkSize,
                ["tokenExpires"] = Formats.JsonTime(hello.TokenExpiresUnix),
            });
            return;
        }
        var fields = new List<(string, string)>
        {
            ("server", call.Connection.Settings.Server.GetLeftPart(UriPartial.Authority)),
            ("server version", hello.ServerVersion),
            ("protocol version", hello.ProtocolVersion.ToString(CultureInfo.InvariantCulture)),
            ("tenant", hello.Tenant),
            ("roles", Formats.OrDash(Formats.RoleList(hello.Roles))),
            ("scope", hello.RepositoryScope.Length == 0 ? "every repository of the tenant" : hello.RepositoryScope),
            ("repositories", Formats.OrDash(string.Join(", ", hello.Repositories))),
        };
        if (request.Repository.Length > 0)
        {
            fields.Add(("repository", $"{request.Repository} (id {Convert.ToHexStringLower(hello.RepositoryId.Span)})"));
        }
        fields.Add(("token expires", Formats.Time(hello.TokenExpiresUnix, none: "never")));
        output.WriteFields(fields);
    }
}
