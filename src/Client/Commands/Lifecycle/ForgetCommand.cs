using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Bunker.Client.Output;
using Bunker.Protocol.V1;

namespace Bunker.Client.Commands.Lifecycle;

/// <summary>
/// <c>bunker forget</c>: retention rules applied by bunkerd (operator role). Every snapshot is listed with the rules
/// that keep it, or "remove"; <c>--dry-run</c> changes nothing; <c>--prune</c> collects garbage afterwards. Archived
/// PostgreSQL WAL is never judged by the rules: it goes when no remaining base backup of its cluster needs it.
/// </summary>
internal static class ForgetCommand
{
    public static Command Create(CliContext context)
    {
        var repository = CliContext.RepositoryOption("the repository (default: $BUNKER_REPOSITORY)");
        var rules = new RetentionOptions();
        var host = new Option<string>("--host") { HelpName = "HOST", Description = "judge only snapshots of this host (the others are left alone)" };
        var kind = new Option<string>("--kind") { HelpName = "KIND", Description = "judge only snapshots of this source kind (files, postgres, vm, ...)" };
        var tags = new Option<string[]>("--tag") { HelpName = "TAG", Description = "judge only snapshots with this tag (repeat: with every one)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "say what would be kept and removed, remove nothing" };
        var prune = new Option<bool>("--prune") { Description = "collect garbage afterwards, reclaiming the space of what was removed" };
        var bySnapshotTime = new Option<bool>("--by-snapshot-time")
        {
            Description = "count in the times the clients gave their snapshots, not the times bunkerd committed them (for snapshots imported with their original dates)",
        };
        var command = new Command("forget", "Remove the snapshots no keep rule keeps (rules are ORed; protected snapshots always stay)")
        {
            repository, host, kind, tags, dryRun, prune, bySnapshotTime,
        };
        rules.AddTo(command);
        context.SetAction(command, async call =>
        {
            var request = new ForgetRequest
            {
                Repository = SnapshotArgument.Repository(call),
                Policy = rules.Read(call.Result),
                DryRun = call.Result.GetValue(dryRun),
                Prune = call.Result.GetValue(prune),
                Host = call.Result.GetValue(host) ?? "",
                SourceKind = call.Result.GetValue(kind) ?? "",
                BySnapshotTime = call.Result.GetValue(bySnapshotTime),
            };
            request.Tags.AddRange(call.Result.GetValue(tags) ?? []);
            if (request.Prune && request.DryRun) throw new UsageException("--prune and --dry-run do not go together; 'bunker gc --dry-run' shows what a collection would do");
            var response = await call.Connection.Maintenance.ForgetAsync(request, call.Options(TimeSpan.FromHours(24)));
            if (call.Output.Json)
            {
                call.Output.WriteJson(ToJson(response));
                return;
            }
            Write(call.Output.Out, response);
        }, repository);
        return command;
    }

    private static void Write(TextWriter o, ForgetResponse response)
    {
        foreach (var group in response.Groups)
        {
            int keep = group.Decisions.Count(d => d.Keep);
            o.WriteLine($"{group.Key}: keep {keep}, remove {group.Decisions.Count - keep}");
            foreach (var d in group.Decisions)
            {
                string id = Convert.ToHexStringLower(d.Id.Span)[..8];
                string tags = d.Tags.Count > 0 ? $" [{string.Join(",", d.Tags)}]" : "";
                o.WriteLine($"  {id}  {Formats.LocalTime(d.TimeUnixNanos)}{tags}  {(d.Keep ? "keep: " + string.Join(", ", d.Reasons) : "remove")}");
            }
        }
        string verb = response.DryRun ? "would remove" : "removed";
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{verb} {response.Removed} snapshot(s)"));
        if (response.WalFilesRemoved > 0)
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{verb} {response.WalFilesRemoved} archived WAL file(s), {Formats.Size(response.WalBytesRemoved)}, that no remaining base backup needs"));
        foreach (var note in response.Notes) o.WriteLine($"note: {note}");
        if (response.Garbage is { } garbage) GcCommand.Write(o, garbage);
    }

    private static JsonObject ToJson(ForgetResponse response)
    {
        var groups = new JsonArray();
        foreach (var group in response.Groups)
        {
            var decisions = new JsonArray();
            foreach (var d in group.Decisions)
            {
                decisions.Add(new JsonObject
                {
                    ["id"] = Convert.ToHexStringLower(d.Id.Span),
                    ["time"] = Formats.UtcTime(d.TimeUnixNanos),
                    ["host"] = d.Host,
                    ["kind"] = d.SourceKind,
                    ["sourceId"] = d.SourceId,
                    ["tags"] = Formats.JsonStrings(d.Tags),
                    ["keep"] = d.Keep,
                    ["reasons"] = Formats.JsonStrings(d.Reasons),
                });
            }
            groups.Add(new JsonObject { ["group"] = group.Key, ["snapshots"] = decisions });
        }
        return new JsonObject
        {
            ["dry_run"] = response.DryRun,
            ["removed"] = response.Removed,
            ["wal_files_removed"] = response.WalFilesRemoved,
            ["wal_bytes_removed"] = response.WalBytesRemoved,
            ["notes"] = Formats.JsonStrings(response.Notes),
            ["groups"] = groups,
            ["gc"] = response.Garbage is { } g ? GcCommand.ToJson(g) : null,
        };
    }
}
