using System.CommandLine;
using System.Text.Json.Nodes;
using Bunker.Client.Files.Reading;

namespace Bunker.Client.Commands;

/// <summary>
/// <c>bunker diff SNAP1 SNAP2</c>: what was added (+), removed (-), modified (M: content), changed type (T)
/// or changed metadata only (U) from the first files snapshot to the second, then the counts.
/// </summary>
internal static class DiffCommand
{
    private static readonly string[] Symbols = ["+", "-", "M", "T", "U"];
    private static readonly string[] Names = ["added", "removed", "modified", "typeChanged", "metadataChanged"];

    public static Command Create(CliContext context)
    {
        var repository = CliContext.RepositoryOption("the repository (default: $BUNKER_REPOSITORY)");
        var latest = new SnapshotFilterOptions("for 'latest'");
        var first = SnapshotArgument.Create("SNAP1", "the snapshot to compare from (id, prefix or 'latest')");
        var second = SnapshotArgument.Create("SNAP2", "the snapshot to compare to (id, prefix or 'latest')");
        var command = new Command("diff", "Show what changed between two snapshots (--json: one object per line, then the counts)") { first, second, repository };
        latest.AddTo(command);
        context.SetAction(command, async call =>
        {
            var before = await latest.ResolveAsync(call, call.Result.GetRequiredValue(first), FilesSnapshot.Kind);
            var after = await latest.ResolveAsync(call, call.Result.GetRequiredValue(second), FilesSnapshot.Kind);
            string name = SnapshotArgument.Repository(call);
            var client = call.Connection.Repository;
            var options = call.Options(Timeout.InfiniteTimeSpan);
            var ct = call.CancellationToken;
            await using var left = await FilesSnapshot.OpenAsync(client, name, before, options, ct);
            await using var right = await FilesSnapshot.OpenAsync(client, name, after, options, ct);
            await using var leftPayload = new PayloadIndexCursor(client, name, before.Id, options);
            await using var rightPayload = new PayloadIndexCursor(client, name, after.Id, options);

            var counts = new long[Symbols.Length];
            var output = call.Output;
            await foreach (var change in CatalogDiff.CompareAsync(left.Catalog, right.Catalog,
                (a, b) => PayloadRuns.SameAsync(leftPayload, a, rightPayload, b), ct))
            {
                int kind = (int)change.Kind;
                counts[kind]++;
                string path = CatalogEntryFormat.Path(change.Path.Span);
                if (!output.Json)
                {
                    output.Out.WriteLine($"{Symbols[kind]} {path}");
                    continue;
                }
                var json = new JsonObject { ["change"] = Symbols[kind], ["kind"] = Names[kind] };
                CatalogEntryFormat.AddPath(json, "path", (change.After ?? change.Before)!.Path, absolute: true);
                output.WriteJsonLine(json);
            }

            if (output.Json)
            {
                var summary = new JsonObject();
                for (int i = 0; i < Names.Length; i++) summary[Names[i]] = counts[i];
                output.WriteJsonLine(new JsonObject { ["summary"] = summary });
            }
            else
            {
                output.Out.WriteLine();
                output.Out.WriteLine($"{counts[0]} added, {counts[1]} removed, {counts[2]} modified, {counts[3]} type changed, {counts[4]} metadata changed");
            }
        }, repository);
        return command;
    }
}
