using System.CommandLine;
using Bunker.Client.Files.Catalog;
using Bunker.Client.Files.Reading;
using Bunker.Client.Output;
using Bunker.Client.Restore;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;

namespace Bunker.Client.Commands;

/// <summary><c>bunker dump SNAPSHOT PATH</c>: one regular file's content, as raw bytes, to stdout (holes as zeros).</summary>
internal static class DumpCommand
{
    public static Command Create(CliContext context)
    {
        var repository = CliContext.RepositoryOption("the repository (default: $BUNKER_REPOSITORY)");
        var latest = new SnapshotFilterOptions("for 'latest'");
        var snapshotArgument = SnapshotArgument.Create();
        var pathArgument = new Argument<string>("PATH") { Description = "the file, as it was backed up (e.g. /etc/hosts)" };
        var command = new Command("dump", "Write one file of a snapshot to stdout") { snapshotArgument, pathArgument, repository };
        latest.AddTo(command);
        context.SetAction(command, async call =>
        {
            string pathText = call.Result.GetRequiredValue(pathArgument);
            var path = CatalogPath.FromArgument(pathText);
            if (!CatalogPath.TryValidate(path, out var reason))
                throw new UsageException($"'{pathText}' is not a file's path: {reason}");
            var info = await latest.ResolveAsync(call, call.Result.GetRequiredValue(snapshotArgument), FilesSnapshot.Kind);
            string name = SnapshotArgument.Repository(call);
            var options = call.Options(Timeout.InfiniteTimeSpan);

            var entry = await FindFileAsync(call, name, info, path, pathText, options);
            if (entry.ChangedDuringBackup)
                call.Output.Error.WriteLine($"bunker: warning: '{pathText}' changed while it was backed up; its content may be torn");

            var output = BinaryOutput.Open(call.Output.Out);
            if (entry.ChunkCount == 0)
            {
                await FileContent.WriteAsync(entry, Stream.Null, output, call.CancellationToken);
            }
            else
            {
                await using var stored = ArchiveReader.Open(call.Connection.Repository, name, info.Id, FilesSnapshot.PayloadArchive, options,
                    checked((long)entry.FirstChunk), checked((long)entry.ChunkCount));
                await FileContent.WriteAsync(entry, stored, output, call.CancellationToken);
            }
            await output.FlushAsync(call.CancellationToken);
        }, repository);
        return command;
    }

    /// <summary>The regular file at <paramref name="path"/>; a second hardlink is followed to the entry that carries the content.</summary>
    private static async Task<CatalogEntry> FindFileAsync(CommandCall call, string repository, SnapshotInfo info, byte[] path, string pathText, CallOptions options)
    {
        CatalogEntry? entry;
        await using (var snapshot = await FilesSnapshot.OpenAsync(call.Connection.Repository, repository, info, options, call.CancellationToken))
            entry = await snapshot.FindAsync(path, call.CancellationToken);
        if (entry is null)
            throw new CommandFailedException($"'{pathText}' is not in snapshot {SnapshotArgument.ShortId(info)}");
        if (entry.Type == EntryType.Directory)
            throw new CommandFailedException($"'{pathText}' is a directory; dump writes one regular file (ls lists a directory)");
        if (entry.Type != EntryType.File)
            throw new CommandFailedException($"'{pathText}' is a {CatalogEntryFormat.TypeName(entry.Type)}; dump writes regular files only");
        if (entry.HardlinkTarget.IsEmpty)
            return entry;

        // The first path of the inode sorts before this one, so the catalog is read again from its start.
        await using var again = await FilesSnapshot.OpenAsync(call.Connection.Repository, repository, info, options, call.CancellationToken);
        var first = await again.FindAsync(entry.HardlinkTarget.Memory, call.CancellationToken);
        if (first is null || first.Type != EntryType.File || !first.HardlinkTarget.IsEmpty)
            throw new InvalidDataException($"'{pathText}' is a hardlink to '{CatalogEntryFormat.Path(entry.HardlinkTarget.Span)}', which is not a regular file with content in the snapshot");
        return first;
    }
}
