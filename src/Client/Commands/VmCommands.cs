using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Bunker.Client.Output;
using Bunker.Client.Vm;
using Bunker.Client.Vm.Nbd;

namespace Bunker.Client.Commands;

/// <summary><c>bunker backup vm</c> and <c>bunker restore vm</c>: disk images in fixed 4 MiB chunks.</summary>
internal static class VmCommands
{
    public static Command Backup(CliContext context)
    {
        var disks = new Option<string[]>("--disk")
        {
            HelpName = "NAME=SOURCE",
            Description = "a disk to back up: NAME=/path/to/raw-image, NAME=/dev/BLOCKDEVICE, NAME=nbd://HOST:PORT/EXPORT or " +
                "NAME=nbd+unix:///EXPORT?socket=PATH (repeat for several)",
            Required = true,
        };
        var vm = new Option<string>("--vm") { HelpName = "ID", Description = "the VM's id, the snapshot's source (default: the host name)" };
        var host = new Option<string>("--host") { HelpName = "HOST", Description = "host name recorded (default: this machine's name)" };
        var tags = new Option<string[]>("--tag") { HelpName = "TAG", Description = "tag the snapshot; repeat for several" };
        var bitmap = new Option<string>("--dirty-bitmap") { HelpName = "NAME", Description = "read only what qemu's dirty bitmap NAME marks changed since the parent snapshot (NBD sources)" };
        var repository = CliContext.RepositoryOption($"the repository (default: ${Connection.ConnectionSettings.RepositoryVariable})");
        var command = new Command("vm", "Back up VM disk images: fixed 4 MiB chunks aligned to disk offsets; holes and all-zero chunks are recorded, never sent")
        {
            disks, vm, host, tags, bitmap, repository,
        };
        context.SetAction(command, async call =>
        {
            var specs = ParseDisks(call.Result.GetRequiredValue(disks));
            string hostName = call.Result.GetValue(host) is { Length: > 0 } h ? h : Environment.MachineName;
            var request = new VmBackupRequest
            {
                Disks = specs,
                VmId = call.Result.GetValue(vm) is { Length: > 0 } id ? id : hostName,
                Host = hostName,
                Tags = call.Result.GetValue(tags) ?? [],
                DirtyBitmap = call.Result.GetValue(bitmap) is { Length: > 0 } b ? b : null,
            };
            var extraContexts = request.DirtyBitmap is { } name ? new[] { ChangedBlocks.Context(name) } : [];
            long done = 0;
            var clock = Stopwatch.StartNew();
            var result = await ProgressDisplay.RunAsync(context.ProgressEnabled(call), "backup vm", () => new ProgressFigures(Interlocked.Read(ref done), -1, 0, -1),
                () => VmBackup.RunAsync(call.Connection.Repository, SnapshotArgument.Repository(call), request, spec => OpenDiskAsync(spec, extraContexts, call.CancellationToken),
                    call.Options(Timeout.InfiniteTimeSpan), bytes => Interlocked.Exchange(ref done, bytes), call.CancellationToken));
            string snapshotId = Convert.ToHexStringLower(result.Snapshot.Id.Span);
            if (call.Output.Json)
            {
                var list = new JsonArray();
                foreach (var d in result.Disks)
                    list.Add(new JsonObject
                    {
                        ["name"] = d.Name, ["size"] = d.Size, ["format"] = d.Format, ["bitmap"] = d.Bitmap, ["data_chunks"] = d.DataChunks,
                        ["hole_chunks"] = d.HoleChunks, ["reused_chunks"] = d.ReusedChunks, ["bytes_read"] = d.BytesRead,
                    });
                call.Output.WriteJson(new JsonObject
                {
                    ["id"] = snapshotId,
                    ["disks"] = list,
                    ["chunks_uploaded"] = result.Upload.ChunksUploaded,
                    ["bytes_added"] = result.Upload.RawBytesUploaded,
                    ["bytes_sent"] = result.Upload.EncodedBytesSent,
                    ["duration_seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 3),
                    ["warnings"] = new JsonArray(result.Warnings.Select(w => (JsonNode?)JsonValue.Create(w)).ToArray()),
                });
                return;
            }
            foreach (var warning in result.Warnings) call.Output.Error.WriteLine("bunker: warning: " + warning);
            call.Output.Out.WriteLine(snapshotId);
            foreach (var d in result.Disks)
                call.Output.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"disk {d.Name}: {Formats.Size((ulong)d.Size)} ({d.Format}), {d.DataChunks} data chunk(s), {d.HoleChunks} hole(s), {d.ReusedChunks} unchanged, {Formats.Size((ulong)d.BytesRead)} read"));
            call.Output.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"snapshot {snapshotId[..8]} saved: {Formats.Size((ulong)result.Upload.RawBytesUploaded)} added ({Formats.Size((ulong)result.Upload.EncodedBytesSent)} sent) in {clock.Elapsed.TotalSeconds:0.0}s"));
        }, repository);
        return command;
    }

    public static Command Restore(CliContext context)
    {
        var snapshot = SnapshotArgument.Create();
        var disk = new Option<string>("--disk") { HelpName = "NAME", Description = "the disk to restore (needed when the snapshot has several)" };
        var to = new Option<string>("--to") { HelpName = "TARGET", Description = "a new image file, a block device, or a writable NBD export (nbd://HOST:PORT/NAME, nbd+unix:///NAME?socket=PATH)", Required = true };
        var parallel = new Option<int>("--parallel") { HelpName = "N", Description = "concurrent read streams (default 8)", DefaultValueFactory = _ => 8 };
        var format = new Option<string>("--format") { HelpName = "raw|qcow2", Description = "image format of a new file (qcow2 through qemu-img)", DefaultValueFactory = _ => "raw" };
        format.AcceptOnlyFromAmong("raw", "qcow2");
        var vm = VmOption();
        var zeroed = new Option<bool>("--target-zeroed") { Description = "the block device or NBD export already reads as zeros: leave holes unwritten" };
        var latest = new SnapshotFilterOptions("for 'latest'");
        var repository = CliContext.RepositoryOption("the repository (default: $BUNKER_REPOSITORY)");
        var command = new Command("vm", "Restore one disk of a vm snapshot into a new image file, a block device or an NBD export, over parallel streams")
        {
            snapshot, disk, to, parallel, format, zeroed, vm, repository,
        };
        latest.AddTo(command);
        context.SetAction(command, async call =>
        {
            int streams = call.Result.GetValue(parallel);
            if (streams is < 1 or > 64) throw new UsageException("--parallel must be 1 to 64");
            string? diskName = call.Result.GetValue(disk);
            if (diskName is not null && !VmSnapshots.IsValidName(diskName)) throw new UsageException($"--disk '{diskName}' is not a disk name");
            var info = await latest.ResolveAsync(call, call.Result.GetRequiredValue(snapshot), VmSnapshots.Kind, call.Result.GetValue(vm));
            var request = new VmRestoreRequest
            {
                Disk = diskName,
                Target = call.Result.GetRequiredValue(to),
                Parallel = streams,
                Format = call.Result.GetValue(format) ?? "raw",
                TargetZeroed = call.Result.GetValue(zeroed),
            };
            var clock = Stopwatch.StartNew();
            var result = await VmRestore.RunAsync(call.Connection, SnapshotArgument.Repository(call), info, request, call.Options(Timeout.InfiniteTimeSpan), call.CancellationToken);
            call.Output.WriteRecord(new JsonObject
            {
                ["snapshot"] = SnapshotArgument.FullId(info),
                ["disk"] = result.Disk,
                ["size"] = result.Size,
                ["chunks"] = result.DataChunks,
                ["hole_bytes"] = result.HoleBytes,
                ["bytes_written"] = result.BytesWritten,
                ["streams"] = result.Fetch.Streams,
                ["duration_seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 3),
            }, string.Create(CultureInfo.InvariantCulture,
                $"restored disk {result.Disk} ({Formats.Size((ulong)result.Size)}, {Formats.Size((ulong)result.HoleBytes)} of holes) of snapshot {SnapshotArgument.ShortId(info)} " +
                $"to {(VmRestore.IsNbd(request.Target) ? request.Target : Path.GetFullPath(request.Target))} in {clock.Elapsed.TotalSeconds:0.0}s over {result.Fetch.Streams} stream(s)"));
        }, repository);
        return command;
    }

    /// <summary><c>bunker vm serve</c>: a snapshot's disk as a read-only NBD export until stopped (Ctrl-C, SIGTERM).</summary>
    public static Command Serve(CliContext context)
    {
        var snapshot = SnapshotArgument.Create();
        var disk = new Option<string>("--disk") { HelpName = "NAME", Description = "the disk to serve (needed when the snapshot has several)" };
        var listen = new Option<string>("--listen") { HelpName = "HOST:PORT|unix:PATH", Description = "where to listen", Required = true };
        var vm = VmOption();
        var cacheSize = new Option<int>("--cache-mib") { HelpName = "MIB", Description = "chunks kept in memory, in MiB (default 256)", DefaultValueFactory = _ => 256 };
        var latest = new SnapshotFilterOptions("for 'latest'");
        var repository = CliContext.RepositoryOption("the repository (default: $BUNKER_REPOSITORY)");
        var command = new Command("serve", "Serve a vm snapshot's disk read-only over NBD, fetching chunks on demand (instant restore)")
        {
            snapshot, disk, listen, cacheSize, vm, repository,
        };
        latest.AddTo(command);
        context.SetAction(command, async call =>
        {
            int cache = call.Result.GetValue(cacheSize);
            if (cache is < 4 or > 65536) throw new UsageException("--cache-mib must be 4 to 65536");
            var info = await latest.ResolveAsync(call, call.Result.GetRequiredValue(snapshot), VmSnapshots.Kind, call.Result.GetValue(vm));
            string name = VmRestore.ChooseDisk(info, call.Result.GetValue(disk));
            long size = VmRestore.DiskSize(info, name);
            string repo = SnapshotArgument.Repository(call);
            var options = call.Options(Timeout.InfiniteTimeSpan);
            var export = await SnapshotDiskExport.OpenAsync(call.Connection.Repository, repo, info.Id, name, size, (long)cache << 20, options, call.CancellationToken);
            NbdServer server;
            try
            {
                server = NbdServer.Start(call.Result.GetRequiredValue(listen), name, export);
            }
            catch (Exception e) when (e is FormatException or ArgumentException or System.Net.Sockets.SocketException or IOException)
            {
                throw new CommandFailedException($"--listen {call.Result.GetValue(listen)}: {e.Message}");
            }
            await using (server)
            {
                // The URI alone on stdout, for scripts: qemu-img create -f qcow2 -F raw -b "$(...)" overlay.qcow2
                call.Output.Out.WriteLine(server.Address);
                call.Output.Out.Flush();
                call.Output.Error.WriteLine($"serving disk {name} ({Formats.Size((ulong)size)}) of snapshot {SnapshotArgument.ShortId(info)} read-only at {server.Address}; stop with Ctrl-C");
                try
                {
                    await Task.WhenAny(server.Completion, Task.Delay(Timeout.Infinite, call.CancellationToken));
                }
                finally
                {
                    call.Output.Error.WriteLine($"stopped; {export.ChunksFetched} chunk(s) fetched");
                }
            }
        }, repository);
        return command;
    }

    private static Option<string> VmOption() =>
        new("--vm") { HelpName = "ID", Description = "for 'latest': only snapshots of this VM (the id its backup was given)" };

    private static async Task<IDiskSource> OpenDiskAsync(DiskSpec spec, string[] extraContexts, CancellationToken cancellationToken) =>
        spec.Source.StartsWith("nbd://", StringComparison.Ordinal) || spec.Source.StartsWith("nbd+unix://", StringComparison.Ordinal)
            ? await NbdDiskSource.OpenAsync(spec.Source, extraContexts, cancellationToken)
            : RawDiskSource.Open(spec.Source);

    /// <summary>NAME=SOURCE pairs: names unique and safe, sources non-empty.</summary>
    private static List<DiskSpec> ParseDisks(string[] values)
    {
        var disks = new List<DiskSpec>(values.Length);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            int eq = value.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || eq == value.Length - 1)
                throw new UsageException($"--disk '{value}' must be NAME=SOURCE, e.g. --disk sda=/var/lib/images/vm1.raw");
            string name = value[..eq], source = value[(eq + 1)..];
            if (!VmSnapshots.IsValidName(name))
                throw new UsageException($"--disk name '{name}' must be 1 to 64 letters, digits, '.', '_' or '-', not starting with '.'");
            if (!names.Add(name)) throw new UsageException($"--disk '{name}' is given twice");
            disks.Add(new DiskSpec(name, source));
        }
        return disks;
    }
}
