using System.CommandLine;
using System.Text.Json.Nodes;
using Bunker.Client.Output;
using Bunker.Protocol.V1;

namespace Bunker.Client.Commands;

/// <summary><c>bunker snapshots</c>: the repository's snapshots, oldest first, optionally filtered.</summary>
internal static class SnapshotsCommand
{
    public static Command Create(CliContext context)
    {
        var repository = CliContext.RepositoryOption("the repository (default: $BUNKER_REPOSITORY)");
        var filters = new SnapshotFilterOptions("filter");
        var kind = new Option<string>("--kind") { HelpName = "KIND", Description = "filter: only snapshots of this source kind (files, postgres, vm, ...); archived WAL files (postgres-wal) are listed only when asked for" };
        var command = new Command("snapshots", "List snapshots, oldest first") { repository, kind };
        filters.AddTo(command);
        context.SetAction(command, async call =>
        {
            string kindFilter = call.Result.GetValue(kind) ?? "";
            var filter = filters.Read(call.Result, kindFilter);
            var snapshots = await SnapshotArgument.ListAsync(call, SnapshotArgument.Repository(call), filter);
            // One snapshot per archived WAL file would drown the list: they show with --kind postgres-wal, or in 'bunker pg verify'.
            if (kindFilter.Length == 0) snapshots.RemoveAll(s => s.SourceKind == Postgres.PgSnapshots.WalKind);
            call.Output.WriteList(snapshots, ToJson, ["ID", "TIME", "HOST", "KIND", "TAGS", "PATHS", "SIZE"], s =>
            [
                SnapshotArgument.ShortId(s),
                Formats.LocalTime(s.TimeUnixNanos),
                s.Host,
                s.SourceKind,
                Formats.OrDash(string.Join(",", s.Tags)),
                Formats.OrDash(string.Join(",", s.Paths)),
                Formats.Size(s.Size),
            ]);
        }, repository);
        return command;
    }

    private static JsonObject ToJson(SnapshotInfo snapshot) => new()
    {
        ["id"] = SnapshotArgument.FullId(snapshot),
        ["time"] = Formats.UtcTime(snapshot.TimeUnixNanos),
        ["host"] = snapshot.Host,
        ["kind"] = snapshot.SourceKind,
        ["sourceId"] = snapshot.SourceId,
        ["paths"] = Formats.JsonStrings(snapshot.Paths),
        ["tags"] = Formats.JsonStrings(snapshot.Tags),
        ["size"] = snapshot.Size,
        ["parent"] = snapshot.Manifest?.ParentId is { IsEmpty: false } parent ? Convert.ToHexStringLower(parent.Span) : null,
    };
}
