using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Bunker.Client.Files;
using Bunker.Client.Files.Reading;
using Bunker.Client.Files.Restore;
using Bunker.Client.Output;
using Bunker.Protocol.V1;

namespace Bunker.Client.Commands;

/// <summary><c>bunker restore SNAPSHOT --target DIR</c>: a files snapshot, or the parts of it given by --include, into a directory.</summary>
internal static class RestoreCommand
{
    public static Command Create(CliContext context)
    {
        var snapshot = SnapshotArgument.Create();
        var target = new Option<string>("--target") { Required = true, HelpName = "DIR", Description = "directory to restore into (created when missing)" };
        var include = new Option<string[]>("--include")
        {
            HelpName = "PATH",
            Description = "restore only this path of the snapshot and what is below it (repeatable)",
            AllowMultipleArgumentsPerToken = false,
        };
        var parallel = new Option<int>("--parallel")
        {
            HelpName = "N",
            Description = "concurrent read streams (default 8)",
            DefaultValueFactory = _ => 8,
        };
        var verify = new Option<bool>("--verify") { Description = "read every restored file back and check it against the snapshot" };
        var latest = new SnapshotFilterOptions("for 'latest'");
        var repository = CliContext.RepositoryOption("the repository (default: $BUNKER_REPOSITORY)");
        var command = new Command("restore", "Restore a files snapshot into a directory")
        {
            snapshot, target, include, parallel, verify, repository,
        };
        latest.AddTo(command);
        command.Subcommands.Add(VmCommands.Restore(context));
        context.SetAction(command, async call =>
        {
            int streams = call.Result.GetValue(parallel);
            if (streams is < 1 or > FileRestore.MaxParallel)
                throw new UsageException($"--parallel must be 1 to {FileRestore.MaxParallel}");
            var request = new FileRestoreRequest
            {
                Target = call.Result.GetRequiredValue(target),
                Includes = call.Result.GetValue(include) ?? [],
                Parallel = streams,
                Verify = call.Result.GetValue(verify),
            };
            await RunAsync(context, call, request, latest, call.Result.GetRequiredValue(snapshot));
        }, repository);
        return command;
    }

    private static async Task RunAsync(CliContext context, CommandCall call, FileRestoreRequest request, SnapshotFilterOptions latest, string snapshotArgument)
    {
        string repository = SnapshotArgument.Repository(call);
        try
        {
            Files.Restore.CatalogScope.From(request.Includes);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
        var snapshot = await latest.ResolveAsync(call, snapshotArgument, FilesSnapshot.Kind);
        var progress = new FileProgress();
        var clock = Stopwatch.StartNew();
        FileRestoreResult result;
        try
        {
            result = await ProgressDisplay.RunAsync(context.ProgressEnabled(call), "restore", progress.Figures,
                () => FileRestore.RunAsync(call.Connection.Repository, call.Connection.OpenChannel, repository, snapshot, request,
                    call.Options(Timeout.InfiniteTimeSpan), progress, call.CancellationToken));
        }
        catch (InvalidDataException e)
        {
            // A refused catalog, a chunk that failed verification, or files that differ: the restore cannot be trusted.
            throw new CommandFailedException($"restore failed: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The target itself cannot be made or opened (entries that cannot be written are warnings instead).
            throw new CommandFailedException($"restore failed: {e.Message}");
        }
        call.Output.WriteWarnings(result.Warnings);
        if (result.Warnings.Count > 0) call.ExitCode = ExitCodes.Incomplete;
        call.Output.WriteRecord(ToJson(snapshot, request, result, clock.Elapsed), Summary(snapshot, request, result, clock.Elapsed));
    }

    private static string Summary(SnapshotInfo snapshot, FileRestoreRequest request, FileRestoreResult result, TimeSpan elapsed)
    {
        var invariant = CultureInfo.InvariantCulture;
        var text = string.Create(invariant,
            $"restored snapshot {SnapshotArgument.ShortId(snapshot)} to {request.Target}: {result.Files} files, {result.Directories} directories, " +
            $"{result.Links} links, {result.Special} special; {Formats.Size((ulong)result.BytesWritten)} written, {result.ChunksFetched} chunks in {elapsed.TotalSeconds:0.0} s");
        if (result.FilesSkipped > 0) text += string.Create(invariant, $"; {result.FilesSkipped} files already in place");
        if (request.Verify) text += "; verified";
        if (result.Warnings.Count > 0) text += string.Create(invariant, $"; {result.Warnings.Count} warnings");
        return text;
    }

    private static JsonObject ToJson(SnapshotInfo snapshot, FileRestoreRequest request, FileRestoreResult result, TimeSpan elapsed) => new()
    {
        ["snapshot"] = SnapshotArgument.FullId(snapshot),
        ["target"] = request.Target,
        ["files"] = result.Files,
        ["directories"] = result.Directories,
        ["links"] = result.Links,
        ["special"] = result.Special,
        ["filesSkipped"] = result.FilesSkipped,
        ["bytesWritten"] = result.BytesWritten,
        ["chunksFetched"] = result.ChunksFetched,
        ["verified"] = request.Verify,
        ["seconds"] = Math.Round(elapsed.TotalSeconds, 3),
        ["warnings"] = Formats.JsonWarnings(result.Warnings),
    };
}
