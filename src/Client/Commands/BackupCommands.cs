using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Bunker.Client.Files;
using Bunker.Client.Files.Backup;
using Bunker.Client.Output;

namespace Bunker.Client.Commands;

/// <summary><c>bunker backup files</c>: a snapshot of files and directories.</summary>
internal static class BackupCommands
{
    public static Command Create(CliContext context) => new("backup", "Back up a source into a snapshot")
    {
        FilesCommand(context),
        VmCommands.Backup(context),
    };

    private static Command FilesCommand(CliContext context)
    {
        var paths = new Argument<string[]>("PATH") { Description = "files and directories to back up", Arity = ArgumentArity.OneOrMore };
        var tags = new Option<string[]>("--tag") { HelpName = "TAG", Description = "tag the snapshot; repeat for several" };
        var host = new Option<string>("--host") { HelpName = "HOST", Description = "host name recorded, and used to find the parent (default: this machine's name)" };
        var excludes = new Option<string[]>("--exclude")
        {
            HelpName = "GLOB",
            Description = "leave out matching paths: * ? [..] within a name, ** across directories; without '/' it matches any " +
                "base name, with '/' the absolute path (anchored when it starts with '/'); repeat for several",
        };
        var excludeFiles = new Option<string[]>("--exclude-file") { HelpName = "FILE", Description = "read exclude globs from FILE, one per line ('#' comments)" };
        var oneFileSystem = new Option<bool>("--one-file-system") { Description = "do not descend into other file systems (their mount points are kept)" };
        var parent = new Option<string>("--parent") { HelpName = "SNAPSHOT", Description = "compare with this snapshot instead of the latest one of the same host and paths" };
        var force = new Option<bool>("--force") { Description = "read every file, trusting no parent snapshot" };
        var repository = CliContext.RepositoryOption($"the repository to back up into (default: ${Connection.ConnectionSettings.RepositoryVariable})");
        var command = new Command("files", "Back up files and directories; unchanged files are carried over from the parent without being read. " +
            "Exit code 3: the snapshot was saved, but some files could not be read (each is named on stderr).")
        {
            paths, tags, host, excludes, excludeFiles, oneFileSystem, parent, force, repository,
        };
        context.SetAction(command, async call =>
        {
            var result = call.Result;
            var repo = SnapshotArgument.Repository(call);
            if (result.GetValue(force) && result.GetValue(parent) is not null)
                throw new UsageException("--parent and --force contradict each other: --force uses no parent");
            var request = new FileBackupRequest
            {
                Paths = result.GetRequiredValue(paths),
                Host = result.GetValue(host) is { Length: > 0 } h ? h : Environment.MachineName,
                Tags = result.GetValue(tags) ?? [],
                Excludes = result.GetValue(excludes) ?? [],
                ExcludeFiles = result.GetValue(excludeFiles) ?? [],
                OneFileSystem = result.GetValue(oneFileSystem),
                Parent = result.GetValue(parent),
                Force = result.GetValue(force),
            };
            // Without a bar to draw, no progress: it costs a second walk of the tree to learn the totals.
            bool showProgress = context.ProgressEnabled(call);
            var progress = showProgress ? new FileProgress() : null;
            var clock = Stopwatch.StartNew();
            FileBackupResult backup;
            try
            {
                backup = await ProgressDisplay.RunAsync(showProgress, "backup", () => progress!.Figures(),
                    () => FileBackup.RunAsync(call.Connection.Repository, repo, request, call.Options(Timeout.InfiniteTimeSpan), progress, call.CancellationToken));
            }
            catch (ArgumentException e)
            {
                throw new UsageException(e.Message);
            }
            call.Output.WriteWarnings(backup.Warnings);
            if (backup.ParentDamaged is { } damaged)
                call.Output.Error.WriteLine($"bunker: warning: {damaged}; every file was read again, so this snapshot is whole and stores the damaged data anew");
            Report(call.Output, backup, clock.Elapsed);
            if (backup.Incomplete) call.ExitCode = ExitCodes.Incomplete;
        }, repository);
        return command;
    }

    private static void Report(CommandOutput output, FileBackupResult backup, TimeSpan elapsed)
    {
        string id = Convert.ToHexStringLower(backup.Snapshot.Id.Span);
        var upload = backup.Upload;
        if (output.Json)
        {
            output.WriteJson(new JsonObject
            {
                ["id"] = id,
                ["parent"] = backup.ParentId,
                ["files_new"] = backup.FilesNew,
                ["files_changed"] = backup.FilesChanged,
                ["files_unchanged"] = backup.FilesUnchanged,
                ["directories"] = backup.Directories,
                ["bytes_read"] = backup.BytesRead,
                ["size"] = backup.Snapshot.Size,
                ["chunks_uploaded"] = upload.ChunksUploaded,
                ["bytes_added"] = upload.RawBytesUploaded,
                ["bytes_sent"] = upload.EncodedBytesSent,
                ["duration_seconds"] = Math.Round(elapsed.TotalSeconds, 3),
                ["files_left_out"] = backup.LeftOut,
                ["parent_damaged"] = backup.ParentDamaged,
                ["verified_chunks"] = backup.Snapshot.Verification is { } v ? v.ChunksRead : null,
                ["warnings"] = Formats.JsonWarnings(backup.Warnings),
            });
            return;
        }
        // The id alone on stdout, so ID=$(bunker backup files ...) captures exactly it; the summary is for the person.
        output.Out.WriteLine(id);
        output.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"snapshot {id[..8]} saved: files {backup.FilesNew} new, {backup.FilesChanged} changed, {backup.FilesUnchanged} unchanged; " +
            $"{Formats.Size((ulong)upload.RawBytesUploaded)} added ({Formats.Size((ulong)upload.EncodedBytesSent)} sent) in {elapsed.TotalSeconds:0.0}s"));
        if (backup.Snapshot.Verification is { } verified)
            output.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"verified after backup: {verified.ChunksRead} chunk(s), {Formats.Size(verified.BytesRead)} read back and hashed in {verified.Seconds:0.0}s"));
    }
}
