using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Bunker.Client.Output;
using Bunker.Client.Postgres;
using Bunker.Client.Postgres.Wal;

namespace Bunker.Client.Commands;

/// <summary><c>bunker pg ...</c>: PostgreSQL base backups, WAL archiving and point-in-time restore.</summary>
internal static class PgCommands
{
    public static Command Create(CliContext context) => new("pg", "PostgreSQL: base backups, continuous WAL archiving, point-in-time restore")
    {
        BackupCommand(context),
        WalPushCommand(context),
        WalFetchCommand(context),
        RestoreCommand(context),
        BackupsCommand(context),
        VerifyCommand(context),
        ForgetCommand(context),
    };

    private static Option<string> Repository() => CliContext.RepositoryOption($"the repository (default: ${Connection.ConnectionSettings.RepositoryVariable})");
    private static Option<string> Host(string what) => new("--host") { HelpName = "HOST", Description = $"{what} (default: this machine's name)" };
    private static Option<string> PgBin() => new("--pg-bin") { HelpName = "DIR", Description = "directory of PostgreSQL's programs (default: PATH, then the newest /usr/lib/postgresql/*/bin)" };
    private static Option<string> PgData(string what) => new("--pgdata") { HelpName = "DIR", Description = what };
    private static Option<string> SystemId() => new("--system-id") { HelpName = "ID", Description = "the cluster (its system identifier), when the host has backups of several" };
    private static string HostOf(CommandCall call, Option<string> host) => call.Result.GetValue(host) is { Length: > 0 } h ? h : Environment.MachineName;

    private static Command BackupCommand(CliContext context)
    {
        var pg = new Option<string>("--pg") { HelpName = "CONNINFO", Description = "libpq connection string or URI of the server (default: the server on --pgdata, else PGHOST/PGPORT/PGUSER)" };
        var pgdata = PgData("the cluster's data directory: recorded, and its running server is used when --pg is not given");
        var host = Host("host name recorded with the backup");
        var tags = new Option<string[]>("--tag") { HelpName = "TAG", Description = "tag the backup; repeat for several" };
        var walMethod = new Option<string>("--wal-method") { HelpName = "fetch|none", Description = "fetch (default): the backup holds the WAL it needs to be consistent; none: it relies on the WAL archive", DefaultValueFactory = _ => "fetch" };
        walMethod.AcceptOnlyFromAmong("fetch", "none");
        var fast = new Option<bool>("--fast-checkpoint") { Description = "start with an immediate checkpoint instead of a spread one" };
        var maxRate = new Option<string>("--max-rate") { HelpName = "RATE", Description = "pg_basebackup's transfer limit, e.g. 100M" };
        var pgBin = PgBin();
        var repository = Repository();
        var command = new Command("backup", "Take a base backup with pg_basebackup, streamed into a snapshot of kind postgres")
        {
            pg, pgdata, host, tags, walMethod, fast, maxRate, pgBin, repository,
        };
        context.SetAction(command, async call =>
        {
            var result = call.Result;
            var request = new PgBackupRequest
            {
                Connection = PgConnection.Resolve(result.GetValue(pg), result.GetValue(pgdata)),
                DataDirectory = result.GetValue(pgdata),
                Host = HostOf(call, host),
                Tags = result.GetValue(tags) ?? [],
                WalMethod = result.GetValue(walMethod) ?? "fetch",
                FastCheckpoint = result.GetValue(fast),
                MaxRate = result.GetValue(maxRate),
            };
            long bytes = 0;
            var clock = Stopwatch.StartNew();
            var backup = await ProgressDisplay.RunAsync(context.ProgressEnabled(call), "pg backup", () => new ProgressFigures(Interlocked.Read(ref bytes), -1, 0, -1),
                () => PgBaseBackup.RunAsync(new PgTools(result.GetValue(pgBin)), call.Connection.Repository, SnapshotArgument.Repository(call), request,
                    call.Options(Timeout.InfiniteTimeSpan), done => Interlocked.Exchange(ref bytes, done), call.CancellationToken));
            var b = backup.Backup;
            if (call.Output.Json)
            {
                call.Output.WriteJson(new JsonObject
                {
                    ["id"] = b.Id,
                    ["system_identifier"] = b.SystemIdentifier.ToString(CultureInfo.InvariantCulture),
                    ["timeline"] = b.Timeline,
                    ["start_lsn"] = b.Start.ToString(),
                    ["stop_lsn"] = b.Stop.ToString(),
                    ["size"] = backup.Snapshot.Size,
                    ["bytes_added"] = backup.Upload.RawBytesUploaded,
                    ["bytes_sent"] = backup.Upload.EncodedBytesSent,
                    ["duration_seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 3),
                });
                return;
            }
            call.Output.Out.WriteLine(b.Id);
            call.Output.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"base backup {b.Id[..8]} saved: cluster {b.SystemIdentifier}, timeline {b.Timeline}, WAL {b.Start} to {b.Stop}; " +
                $"{Formats.Size(backup.Snapshot.Size)}, {Formats.Size((ulong)backup.Upload.RawBytesUploaded)} added in {clock.Elapsed.TotalSeconds:0.0}s"));
        }, repository);
        return command;
    }

    private static Command WalPushCommand(CliContext context)
    {
        var path = new Argument<string>("PATH") { Description = "the WAL file (archive_command's %p)" };
        var host = Host("host name the WAL is archived under");
        var pgdata = PgData("the data directory, whose pg_control names the cluster (default: the working directory, as archive_command runs)");
        var repository = Repository();
        var command = new Command("wal-push", "archive_command: store one WAL file; exits 0 only once it is durable in bunkerd. " +
            "Use: archive_command = 'bunker pg wal-push %p' (with the connection in the server's environment or as options)")
        {
            path, host, pgdata, repository,
        };
        context.SetAction(command, async call =>
        {
            await WalPush.RunAsync(call.Connection.Repository, SnapshotArgument.Repository(call), call.Result.GetRequiredValue(path), HostOf(call, host),
                call.Result.GetValue(pgdata), call.Options(TimeSpan.FromMinutes(10)), call.CancellationToken);
        }, repository);
        return command;
    }

    private static Command WalFetchCommand(CliContext context)
    {
        var name = new Argument<string>("FILE") { Description = "the WAL file name to fetch (restore_command's %f)" };
        var destination = new Argument<string>("PATH") { Description = "where to write it (restore_command's %p)" };
        var host = Host("host name the WAL was archived under");
        var pgdata = PgData("the data directory, whose pg_control names the cluster (default: the working directory, as restore_command runs)");
        var systemId = SystemId();
        var retryFor = new Option<string>("--retry-for") { HelpName = "DURATION", Description = "keep asking an unreachable repository this long before giving up (default 1m; 0 for not at all)" };
        var repository = Repository();
        var command = new Command("wal-fetch", "restore_command: fetch one archived WAL file. Exits 1, silently, when it is not archived " +
            $"(the end of recovery), and {ExitCodes.StopRecovery} when the repository cannot be asked, so that PostgreSQL stops rather than promotes early")
        {
            name, destination, host, pgdata, systemId, retryFor, repository,
        };
        context.SetAction(command, async call =>
        {
            ulong system = PgCluster.Resolve(call.Result.GetValue(systemId), call.Result.GetValue(pgdata));
            var retry = call.Result.GetValue(retryFor) switch
            {
                null => TimeSpan.FromMinutes(1),
                "0" => TimeSpan.Zero,
                var text => Arguments.Durations.Parse(text),
            };
            bool found = await WalFetch.RunAsync(call.Connection.Repository, SnapshotArgument.Repository(call), call.Result.GetRequiredValue(name),
                call.Result.GetRequiredValue(destination), HostOf(call, host), system, retry, call.Options(TimeSpan.FromMinutes(10)), call.CancellationToken);
            if (!found) call.ExitCode = ExitCodes.Failed;
        }, repository, failureCode: ExitCodes.StopRecovery);
        return command;
    }

    private static Command RestoreCommand(CliContext context)
    {
        var latest = new Argument<string>("TARGET") { Description = "'latest' (the default): replay all archived WAL", Arity = ArgumentArity.ZeroOrOne };
        var to = new Option<string>("--to") { HelpName = "DIR", Description = "new (or empty) data directory to restore into", Required = true };
        var time = new Option<string>("--target-time") { HelpName = "TIME", Description = "stop at this time (ISO 8601; without an offset, local time)" };
        var lsn = new Option<string>("--target-lsn") { HelpName = "LSN", Description = "stop at this WAL position" };
        var name = new Option<string>("--target-name") { HelpName = "NAME", Description = "stop at this restore point (pg_create_restore_point); the newest base backup is used" };
        var port = new Option<int?>("--port") { HelpName = "PORT", Description = "port for the restored server" };
        var sockets = new Option<string>("--socket-dir") { HelpName = "DIR", Description = "unix socket directory for the restored server" };
        var start = new Option<bool>("--start") { Description = "start the restored server and wait until recovery ends and it is promoted" };
        var parallel = new Option<int>("--parallel") { HelpName = "N", Description = "concurrent read streams (default 8)", DefaultValueFactory = _ => 8 };
        var host = Host("host whose backups to restore");
        var systemId = SystemId();
        var osUser = new Option<string>("--os-user") { HelpName = "USER", Description = "when root: the account that owns and runs the restored cluster (default postgres)" };
        var keepArchiving = new Option<bool>("--keep-archiving") { Description = "keep the backup's archive settings (for a server that replaces the lost one); by default a restored copy does not archive" };
        var pgBin = PgBin();
        var repository = Repository();
        var command = new Command("restore", "Restore a base backup into a new data directory and set it up to replay archived WAL to a target")
        {
            latest, to, time, lsn, name, port, sockets, start, parallel, host, systemId, osUser, keepArchiving, pgBin, repository,
        };
        context.SetAction(command, async call =>
        {
            var result = call.Result;
            if (result.GetValue(latest) is { } word && word != "latest")
                throw new UsageException($"unknown target '{word}': give 'latest', or --target-time, --target-lsn or --target-name");
            var target = RecoveryTarget.From(result.GetValue(time), result.GetValue(lsn), result.GetValue(name));
            if (result.GetValue(latest) is not null && target.Kind != RecoveryTargetKind.Latest)
                throw new UsageException("'latest' and a --target option contradict each other");
            int streams = result.GetValue(parallel);
            if (streams is < 1 or > 64) throw new UsageException("--parallel must be 1 to 64");
            if (result.GetValue(port) is { } p && (p < 1 || p > 65535)) throw new UsageException("--port must be 1 to 65535");
            var request = new PgRestoreRequest
            {
                TargetDirectory = result.GetRequiredValue(to),
                Target = target,
                Host = HostOf(call, host),
                SystemIdentifier = result.GetValue(systemId),
                Port = result.GetValue(port),
                SocketDirectory = result.GetValue(sockets),
                Start = result.GetValue(start),
                Parallel = streams,
                OsUser = result.GetValue(osUser),
                KeepArchiving = result.GetValue(keepArchiving),
            };
            var clock = Stopwatch.StartNew();
            var restored = await PgRestore.RunAsync(new PgTools(result.GetValue(pgBin)), call.Connection, SnapshotArgument.Repository(call), request,
                call.Options(Timeout.InfiniteTimeSpan), call.CancellationToken);
            var plan = restored.Plan;
            string state = restored.Started ? "recovered and promoted" : "ready for recovery (start it with pg_ctl)";
            call.Output.WriteRecord(new JsonObject
            {
                ["base_backup"] = plan.Backup.Id,
                ["target"] = plan.Target.ToString(),
                ["timeline"] = plan.Coverage.TargetTimeline,
                ["directory"] = Path.GetFullPath(request.TargetDirectory),
                ["bytes"] = restored.Extracted.Bytes,
                ["started"] = restored.Started,
                ["duration_seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 3),
            }, string.Create(CultureInfo.InvariantCulture,
                $"restored base backup {plan.Backup.Id[..12]} ({Formats.Size((ulong)restored.Extracted.Bytes)}) into {Path.GetFullPath(request.TargetDirectory)}, " +
                $"target {plan.Target} on timeline {plan.Coverage.TargetTimeline}: {state} in {clock.Elapsed.TotalSeconds:0.0}s"));
        }, repository);
        return command;
    }

    private static Command BackupsCommand(CliContext context)
    {
        var host = Host("host whose backups to list");
        var systemId = SystemId();
        var repository = Repository();
        var command = new Command("backups", "List the base backups of a cluster, each with the window it can be restored to") { host, systemId, repository };
        context.SetAction(command, async call =>
        {
            var inventory = await LoadAsync(call, host, systemId);
            var rows = new List<(BaseBackup Backup, WalCoverage Coverage)>();
            foreach (var backup in inventory.Backups) rows.Add((backup, inventory.Coverage(backup)));
            call.Output.WriteList(rows, r => PgReport.BackupJson(r.Backup, r.Coverage), ["ID", "TIME", "TL", "CONSISTENT AT", "RESTORABLE TO", "SIZE", "WAL"], r =>
            [
                r.Backup.Id[..12],
                PgReport.Time(r.Backup.StartTime),
                r.Backup.Timeline.ToString(CultureInfo.InvariantCulture),
                $"{r.Backup.Stop} ({PgReport.Time(r.Backup.StopTime)})",
                $"{r.Coverage.To} ({(r.Coverage.ToTime is { } t ? PgReport.Time(t) : "-")})",
                Formats.Size(r.Backup.Snapshot.Size),
                PgReport.State(r.Backup, r.Coverage),
            ]);
        }, repository);
        return command;
    }

    private static Command VerifyCommand(CliContext context)
    {
        var host = Host("host whose archive to verify");
        var systemId = SystemId();
        var repository = Repository();
        var command = new Command("verify", "Check the WAL chain from each base backup to the newest segment: gaps, timelines, restorable window. " +
            "Exit 0: every backup restores through the newest WAL; 3: gaps cut some windows short; 1: a backup cannot be restored at all")
        {
            host, systemId, repository,
        };
        context.SetAction(command, async call =>
        {
            var inventory = await LoadAsync(call, host, systemId);
            call.ExitCode = PgReport.Verify(call.Output, inventory);
        }, repository);
        return command;
    }

    private static Command ForgetCommand(CliContext context)
    {
        var keepLast = new Option<int?>("--keep-last") { HelpName = "N", Description = "keep the N newest base backups and remove older ones" };
        var dryRun = new Option<bool>("--dry-run") { Description = "say what would be removed, remove nothing" };
        var host = Host("host whose backups to forget");
        var systemId = SystemId();
        var repository = Repository();
        var command = new Command("forget", "Remove old base backups (--keep-last N) and the WAL that no remaining base backup needs (operator role)")
        {
            keepLast, dryRun, host, systemId, repository,
        };
        context.SetAction(command, async call =>
        {
            int? keep = call.Result.GetValue(keepLast);
            if (keep is < 1) throw new UsageException("--keep-last must be at least 1: removing every base backup would leave nothing to restore");
            var inventory = await LoadAsync(call, host, systemId);
            var plan = PgForget.Plan(inventory, keep);
            await PgForget.RunAsync(call, SnapshotArgument.Repository(call), plan, call.Result.GetValue(dryRun));
        }, repository);
        return command;
    }

    private static Task<PgInventory> LoadAsync(CommandCall call, Option<string> host, Option<string> systemId)
    {
        string? given = call.Result.GetValue(systemId);
        ulong? system = given is null ? null : PgCluster.Resolve(given, null);
        return PgInventory.LoadAsync(call.Connection.Repository, SnapshotArgument.Repository(call), HostOf(call, host), system, call.Options(), call.CancellationToken);
    }
}
