using System.CommandLine;
using System.Text.Json.Nodes;
using Bunker.Client.Arguments;
using Bunker.Client.Output;
using Bunker.Protocol.V1;

namespace Bunker.Client.Commands;

/// <summary><c>bunker admin token create|list|revoke</c>.</summary>
internal static class TokenCommands
{
    public static Command Create(CliContext context) => new("token", "Create, list and revoke tokens")
    {
        CreateCommand(context),
        ListCommand(context),
        RevokeCommand(context),
    };

    private static Command CreateCommand(CliContext context)
    {
        var tenant = CliContext.TenantOption("the tenant the token belongs to (default: your own tenant)");
        var roles = new Option<string[]>("--role")
        {
            HelpName = "ROLE",
            Description = "admin, backup, restore or operator; repeat it (or separate with commas) for several",
            Required = true,
        };
        // Not the repository-command --repo: this one is what the new token is limited to, so it must not
        // silently pick up $BUNKER_REPOSITORY and narrow a token the admin meant for the whole tenant.
        var repository = new Option<string>("--repo") { HelpName = "REPO", Description = "limit the token to this repository (default: every repository of the tenant)" };
        var ttl = new Option<string>("--ttl") { HelpName = "DURATION", Description = "lifetime, e.g. 90m, 12h, 30d, 1d12h (default: no expiry)" };
        var description = new Option<string>("--description") { HelpName = "TEXT", Description = "a note to find the token by later" };
        var command = new Command("create", "Create a token and print it (once: the server keeps only its hash)")
        {
            tenant, roles, repository, ttl, description,
        };
        context.SetAction(command, async call =>
        {
            var result = call.Result;
            var request = new CreateTokenRequest
            {
                Tenant = result.GetValue(tenant) ?? "",
                Repository = result.GetValue(repository) ?? "",
                TtlSeconds = result.GetValue(ttl) is { } text ? (long)Durations.Parse(text).TotalSeconds : 0,
                Description = result.GetValue(description) ?? "",
            };
            request.Roles.AddRange(ParseRoles(result.GetRequiredValue(roles)));
            var created = await call.Connection.Admin.CreateTokenAsync(request, call.Options());
            if (call.Output.Json)
            {
                var json = ToJson(created.Info);
                json["token"] = created.Token;
                call.Output.WriteJson(json);
            }
            else
            {
                // Only the token, so TOKEN=$(bunker admin token create ...) captures exactly it.
                call.Output.Out.WriteLine(created.Token);
            }
        });
        return command;
    }

    private static Command ListCommand(CliContext context)
    {
        var tenant = CliContext.TenantOption("list this tenant's tokens (default: your own tenant)");
        var command = new Command("list", "List tokens (never their secrets)") { tenant };
        context.SetAction(command, async call =>
        {
            var request = new ListTokensRequest { Tenant = call.Result.GetValue(tenant) ?? "" };
            var response = await call.Connection.Admin.ListTokensAsync(request, call.Options());
            call.Output.WriteList(response.Tokens, ToJson, ["ID", "TENANT", "ROLES", "REPOSITORY", "CREATED", "EXPIRES", "REVOKED", "DESCRIPTION"],
                t =>
                [
                    t.Id, t.Tenant, Formats.RoleList(t.Roles), Formats.OrDash(t.Repository), Formats.Time(t.CreatedUnix),
                    Formats.Time(t.ExpiresUnix, none: "never"), Formats.Time(t.RevokedUnix), t.Description,
                ]);
        });
        return command;
    }

    private static Command RevokeCommand(CliContext context)
    {
        var id = new Argument<string>("ID") { Description = "the token's id, as 'token list' shows it" };
        var command = new Command("revoke", "Revoke a token; calls with it fail from then on") { id };
        context.SetAction(command, async call =>
        {
            var revoked = await call.Connection.Admin.RevokeTokenAsync(new RevokeTokenRequest { Id = call.Result.GetRequiredValue(id) }, call.Options());
            call.Output.WriteRecord(ToJson(revoked), $"revoked token {revoked.Id}");
        });
        return command;
    }

    /// <summary>Each --role value may hold several roles separated by commas; duplicates are sent once.</summary>
    internal static IReadOnlyList<Role> ParseRoles(IEnumerable<string> values) =>
        values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(Roles.Parse)
            .Distinct()
            .ToList() is { Count: > 0 } roles ? roles : throw new UsageException("give at least one --role");

    private static JsonObject ToJson(TokenInfo token) => new()
    {
        ["id"] = token.Id,
        ["tenant"] = token.Tenant,
        ["roles"] = Formats.JsonRoles(token.Roles),
        ["repository"] = Formats.JsonOrNull(token.Repository),
        ["description"] = Formats.JsonOrNull(token.Description),
        ["created"] = Formats.JsonTime(token.CreatedUnix),
        ["expires"] = Formats.JsonTime(token.ExpiresUnix),
        ["revoked"] = Formats.JsonTime(token.RevokedUnix),
    };
}
