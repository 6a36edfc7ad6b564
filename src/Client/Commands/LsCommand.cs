using System.CommandLine;
using Bunker.Client.Files.Catalog;
using Bunker.Client.Files.Reading;

namespace Bunker.Client.Commands;

/// <summary><c>bunker ls SNAPSHOT [PATH]</c>: a files snapshot's entries under PATH, in catalog order, streamed.</summary>
internal static class LsCommand
{
    public static Command Create(CliContext context)
    {
        var repository = CliContext.RepositoryOption("the repository (default: $BUNKER_REPOSITORY)");
        var latest = new SnapshotFilterOptions("for 'latest'");
        var snapshotArgument = SnapshotArgument.Create();
        var pathArgument = new Argument<string>("PATH") { Description = "list only this path and what is below it (default: everything)", Arity = ArgumentArity.ZeroOrOne };
        var longFormat = new Option<bool>("--long", "-l") { Description = "show type, permissions, owner, size and mtime, like ls -l" };
        var command = new Command("ls", "List the files of a snapshot (--json: one object per line)") { snapshotArgument, pathArgument, longFormat, repository };
        latest.AddTo(command);
        context.SetAction(command, async call =>
        {
            var info = await latest.ResolveAsync(call, call.Result.GetRequiredValue(snapshotArgument), FilesSnapshot.Kind);
            string? pathText = call.Result.GetValue(pathArgument);
            var prefix = CatalogPath.FromArgument(pathText ?? "");
            bool detailed = call.Result.GetValue(longFormat);
            var output = call.Output;
            await using var snapshot = await FilesSnapshot.OpenAsync(call.Connection.Repository, SnapshotArgument.Repository(call), info,
                call.Options(Timeout.InfiniteTimeSpan), call.CancellationToken);

            bool found = false;
            while (await snapshot.Catalog.ReadAsync(call.CancellationToken) is { } entry)
            {
                var path = entry.Path.Span;
                if (!CatalogPath.IsWithin(path, prefix))
                {
                    // PATH's subtree is one contiguous run in catalog order: past it (or past where it would be), stop reading.
                    if (found || CatalogPath.Compare(path, prefix) > 0) break;
                    continue;
                }
                found = true;
                if (output.Json) output.WriteJsonLine(CatalogEntryFormat.Json(entry));
                else output.Out.WriteLine(detailed ? CatalogEntryFormat.LongLine(entry) : CatalogEntryFormat.Path(path));
            }
            if (prefix.Length > 0 && !found)
                throw new CommandFailedException($"'{pathText}' is not in snapshot {SnapshotArgument.ShortId(info)}");
        }, repository);
        return command;
    }
}
