using System.Globalization;
using System.Text;
using Bunker.Client.Connection;
using Bunker.Client.Files.Native;
using Bunker.Client.Postgres.Tar;
using Bunker.Client.Restore;
using Bunker.Protocol.Grpc;

namespace Bunker.Client.Postgres;

/// <summary>What <c>bunker pg restore</c> was asked to do.</summary>
internal sealed record PgRestoreRequest
{
    public required string TargetDirectory { get; init; }
    public required RecoveryTarget Target { get; init; }
    public required string Host { get; init; }
    public string? SystemIdentifier { get; init; }
    public int? Port { get; init; }
    public string? SocketDirectory { get; init; }
    public bool Start { get; init; }
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromHours(1);
    public int Parallel { get; init; } = 8;
    /// <summary>The account that owns and runs the restored cluster, when we are root.</summary>
    public string? OsUser { get; init; }
    /// <summary>Keep the backup's archive settings, for a server that replaces the lost one; otherwise archiving is off.</summary>
    public bool KeepArchiving { get; init; }
}

internal sealed record PgRestoreResult(RestorePlan Plan, TarExtractResult Extracted, bool Started);

/// <summary>
/// A point-in-time restore into a new data directory: plan (nothing is written if the target cannot be reached),
/// unpack the base backup over parallel streams, then leave the directory ready for archive recovery
/// (recovery.signal, restore_command calling <c>bunker pg wal-fetch</c>, the target, promote), and optionally start it.
/// </summary>
internal static class PgRestore
{
    public const string TokenFileName = "bunker-restore.token";
    public const string LogFileName = "bunker-restore.log";

    public static async Task<PgRestoreResult> RunAsync(PgTools tools, BunkerConnection connection, string repository, PgRestoreRequest request,
        CallOptions options, CancellationToken cancellationToken)
    {
        string target = Path.GetFullPath(request.TargetDirectory);
        CheckTargetIsFresh(target);
        var owner = ResolveOwner(request.OsUser);
        ulong? system = request.SystemIdentifier is null ? null : PgCluster.Resolve(request.SystemIdentifier, null);
        var inventory = await PgInventory.LoadAsync(connection.Repository, repository, request.Host, system, options, cancellationToken).ConfigureAwait(false);
        var plan = RestorePlan.Choose(inventory, request.Target);

        bool existed = Directory.Exists(target);
        TarExtractResult extracted;
        try
        {
            await using (var reader = ArchiveReader.Open(connection.Repository, repository, plan.Backup.Snapshot.Id, PgSnapshots.BaseArchive, options, parallel: request.Parallel))
            {
                extracted = await TarExtractor.ExtractAsync(reader, target, new TarExtractOptions
                {
                    OwnerUid = owner is null ? null : (int)owner.Value.Uid,
                    OwnerGid = owner is null ? null : (int)owner.Value.Gid,
                }, cancellationToken).ConfigureAwait(false);
            }
            WriteRecoverySettings(target, plan, inventory, connection.Settings, repository, request, owner);
        }
        catch
        {
            // Half a data directory must never be mistaken for a restore: it goes, and the target is as it was.
            RemovePartial(target, existed);
            throw;
        }
        if (request.Start)
            await StartAndWaitForPromotionAsync(tools, target, owner is null ? null : request.OsUser ?? DefaultOsUser, request.StartTimeout, cancellationToken).ConfigureAwait(false);
        return new PgRestoreResult(plan, extracted, request.Start);
    }

    private const string DefaultOsUser = "postgres";

    private static void CheckTargetIsFresh(string target)
    {
        var info = new DirectoryInfo(target);
        if (info.LinkTarget is not null)
            throw new UsageException($"--to {target} is a symbolic link; give a new or empty directory");
        if (File.Exists(target))
            throw new UsageException($"--to {target} is a file; give a new or empty directory");
        if (info.Exists && info.EnumerateFileSystemInfos().Any())
            throw new UsageException($"--to {target} is not empty; a restore never writes over an existing data directory");
        if (info.Parent is { Exists: false })
            throw new UsageException($"--to {target}: its parent directory does not exist");
    }

    /// <summary>Empties (or, when the restore created it, removes) the target; the extraction wrote only files and directories, no links.</summary>
    private static void RemovePartial(string target, bool existed)
    {
        try
        {
            if (!existed)
            {
                if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
                return;
            }
            foreach (var entry in new DirectoryInfo(target).EnumerateFileSystemInfos())
            {
                if (entry is DirectoryInfo directory && directory.LinkTarget is null) directory.Delete(recursive: true);
                else entry.Delete();
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CommandFailedException($"the restore failed, and what it wrote in {target} could not be removed ({e.Message}); remove it before trying again");
        }
    }

    /// <summary>Root hands the data directory to the account that will run it (postgres unless --os-user); others keep their own.</summary>
    private static (uint Uid, uint Gid)? ResolveOwner(string? osUser)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            if (osUser is not null) throw new UsageException("--os-user needs root: only root can give the restored files to another user");
            return null;
        }
        string user = osUser ?? DefaultOsUser;
        if (!OwnerNames.TryFindUser(user, out uint uid, out uint gid))
            throw new UsageException($"user '{user}' does not exist; PostgreSQL refuses to run as root, so pass --os-user with the account that will run it");
        if (uid == 0)
            throw new UsageException("--os-user root: PostgreSQL refuses to run as root; name the account that will run it");
        return (uid, gid);
    }

    private static void WriteRecoverySettings(string target, RestorePlan plan, PgInventory inventory, ConnectionSettings settings, string repository,
        PgRestoreRequest request, (uint Uid, uint Gid)? owner)
    {
        // The token restore_command uses, beside the data it serves and readable by its owner alone.
        string tokenFile = Path.Combine(target, TokenFileName);
        WritePrivate(tokenFile, settings.Token + "\n");

        var fetch = new List<string>(BunkerCommand())
        {
            "pg", "wal-fetch", "--server", settings.Server.ToString(), "--token-file", tokenFile, "--repo", repository,
            "--host", inventory.Host, "--system-id", inventory.SystemIdentifier.ToString(CultureInfo.InvariantCulture),
        };
        if (settings.CaCertificateFile is { } ca) fetch.AddRange(["--ca-cert", Path.GetFullPath(ca)]);
        var command = new StringBuilder();
        foreach (var arg in fetch) command.Append(ShellQuote(arg)).Append(' ');
        command.Append("%f %p");

        var conf = new StringBuilder();
        conf.Append(CultureInfo.InvariantCulture, $"\n# Added by bunker pg restore from base backup {plan.Backup.Id} (timeline {plan.Backup.Timeline}, ")
            .Append(CultureInfo.InvariantCulture, $"consistent at {plan.Backup.Stop}); target: {plan.Target}\n");
        Setting(conf, "restore_command", command.ToString());
        switch (plan.Target.Kind)
        {
            case RecoveryTargetKind.Time:
                Setting(conf, "recovery_target_time", plan.Target.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture) + "+00");
                break;
            case RecoveryTargetKind.Lsn:
                Setting(conf, "recovery_target_lsn", plan.Target.Lsn.ToString());
                break;
            case RecoveryTargetKind.Name:
                Setting(conf, "recovery_target_name", plan.Target.Name);
                break;
        }
        Setting(conf, "recovery_target_action", "promote");
        Setting(conf, "recovery_target_timeline", plan.Coverage.TargetTimeline.ToString(CultureInfo.InvariantCulture));
        if (request.Port is { } port) Setting(conf, "port", port.ToString(CultureInfo.InvariantCulture));
        if (request.SocketDirectory is { } sockets) Setting(conf, "unix_socket_directories", Path.GetFullPath(sockets));
        // A copy must not archive into the production cluster's WAL: same system identifier, a new timeline.
        if (!request.KeepArchiving) Setting(conf, "archive_mode", "off");

        string autoConf = Path.Combine(target, "postgresql.auto.conf");
        File.AppendAllText(autoConf, conf.ToString());
        string signal = Path.Combine(target, "recovery.signal");
        WritePrivate(signal, "");
        if (owner is { } o) Chown(o, tokenFile, autoConf, signal);
    }

    /// <summary>A new file readable by its owner alone from the moment it exists.</summary>
    private static void WritePrivate(string path, string text)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var stream = new FileStream(path, options);
        stream.Write(Encoding.UTF8.GetBytes(text));
    }

    private static void Chown((uint Uid, uint Gid) owner, params string[] paths)
    {
        foreach (var path in paths)
        {
            if (LibC.ChangeOwnerNoFollow(path, owner.Uid, owner.Gid) != 0)
                throw new CommandFailedException($"{path}: could not give it to uid {owner.Uid}: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>How to run this bunker again: its executable, or dotnet with its assembly when it was started that way.</summary>
    private static IEnumerable<string> BunkerCommand()
    {
        string process = Environment.ProcessPath ?? throw new CommandFailedException("cannot tell where the bunker executable is");
        if (Path.GetFileNameWithoutExtension(process) == "dotnet")
            return [process, typeof(Cli).Assembly.Location];
        return [process];
    }

    private static void Setting(StringBuilder conf, string name, string value) =>
        conf.Append(name).Append(" = '").Append(value.Replace("'", "''", StringComparison.Ordinal)).Append("'\n");

    private static string ShellQuote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>
    /// Starts the restored server with pg_ctl and waits until recovery has ended and it was promoted, which
    /// pg_controldata reports as "in production". A recovery that fails (say, a target it cannot reach) stops the
    /// server: its log then says why.
    /// </summary>
    private static async Task StartAndWaitForPromotionAsync(PgTools tools, string target, string? osUser, TimeSpan timeout, CancellationToken cancellationToken)
    {
        string log = Path.Combine(target, LogFileName);
        var timeoutSeconds = ((int)Math.Ceiling(timeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        var (code, _, stderr) = await tools.RunToExitAsync("pg_ctl", ["-D", target, "-l", log, "-w", "-t", timeoutSeconds, "start"], cancellationToken, osUser).ConfigureAwait(false);
        if (code != 0)
            throw new CommandFailedException($"the restored server did not start (pg_ctl exit {code}: {PgTools.LastLines(stderr, 2)}); its log says: {LogTail(log)}");
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            string control = await tools.RunAsync("pg_controldata", ["-D", target], cancellationToken, osUser).ConfigureAwait(false);
            if (control.Contains("Database cluster state:               in production", StringComparison.Ordinal))
            {
                File.Delete(Path.Combine(target, TokenFileName));
                return;
            }
            if (!File.Exists(Path.Combine(target, "postmaster.pid")))
                throw new CommandFailedException($"the restored server stopped during recovery; its log says: {LogTail(log)}");
            if (DateTime.UtcNow > deadline)
                throw new CommandFailedException($"the restored server was not promoted within {timeout}; it is still running, see {log}");
            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string LogTail(string log)
    {
        try
        {
            return PgTools.LastLines(File.ReadAllText(log), 4);
        }
        catch (IOException e)
        {
            return e.Message;
        }
    }
}
