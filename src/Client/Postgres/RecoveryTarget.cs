using System.Globalization;
using Bunker.Client.Postgres.Wal;

namespace Bunker.Client.Postgres;

public enum RecoveryTargetKind { Latest, Time, Lsn, Name }

/// <summary>Where a point-in-time restore stops: the end of the archived WAL, a time, a WAL position or a named restore point.</summary>
internal sealed record RecoveryTarget(RecoveryTargetKind Kind, DateTimeOffset Time = default, Lsn Lsn = default, string Name = "")
{
    public static RecoveryTarget Latest { get; } = new(RecoveryTargetKind.Latest);

    /// <summary>From the command's options, of which at most one may be given. A time without an offset is this machine's local time.</summary>
    public static RecoveryTarget From(string? time, string? lsn, string? name)
    {
        int given = (time is null ? 0 : 1) + (lsn is null ? 0 : 1) + (name is null ? 0 : 1);
        if (given > 1) throw new UsageException("give at most one of --target-time, --target-lsn and --target-name");
        if (time is not null)
        {
            if (!DateTimeOffset.TryParse(time, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces | DateTimeStyles.AssumeLocal, out var parsed))
                throw new UsageException($"--target-time '{time}' is not a time; use ISO 8601, e.g. 2026-11-22T14:02:59+01:00 or '2026-11-22 13:02:59Z'");
            return new RecoveryTarget(RecoveryTargetKind.Time, Time: parsed.ToUniversalTime());
        }
        if (lsn is not null)
        {
            return Lsn.TryParse(lsn, out var parsed)
                ? new RecoveryTarget(RecoveryTargetKind.Lsn, Lsn: parsed)
                : throw new UsageException($"--target-lsn '{lsn}' is not a WAL position like 0/1A2B3C4D");
        }
        if (name is not null)
        {
            return name.Length is > 0 and < 64 && !name.Contains('\0')
                ? new RecoveryTarget(RecoveryTargetKind.Name, Name: name)
                : throw new UsageException("--target-name must be a restore point name of 1 to 63 characters");
        }
        return Latest;
    }

    public override string ToString() => Kind switch
    {
        RecoveryTargetKind.Time => "time " + PgSnapshots.Time(Time),
        RecoveryTargetKind.Lsn => "LSN " + Lsn,
        RecoveryTargetKind.Name => $"restore point '{Name}'",
        _ => "the end of the archived WAL",
    };
}
