using Bunker.Client.Postgres.Wal;

namespace Bunker.Client.Postgres;

/// <summary>
/// The base backup a restore starts from and the WAL it replays, chosen and checked before anything is written: a
/// target the held WAL cannot reach is refused here, with what the repository can offer instead.
/// </summary>
internal sealed record RestorePlan(BaseBackup Backup, WalCoverage Coverage, RecoveryTarget Target)
{
    public static RestorePlan Choose(PgInventory inventory, RecoveryTarget target)
    {
        var backups = inventory.Backups;
        if (backups.Count == 0)
            throw new CommandFailedException($"no base backup of cluster {inventory.SystemIdentifier} on host '{inventory.Host}': run 'bunker pg backup' first");

        // The newest backup that was consistent by the target; recovery cannot stop before a backup's end.
        BaseBackup? chosen = null;
        foreach (var backup in backups)
        {
            bool usable = target.Kind switch
            {
                RecoveryTargetKind.Time => backup.StopTime <= target.Time,
                RecoveryTargetKind.Lsn => backup.Stop <= target.Lsn,
                _ => true,
            };
            if (usable && (chosen is null || backup.Stop >= chosen.Stop)) chosen = backup;
        }
        var first = backups[0];
        if (chosen is null)
            throw new CommandFailedException($"the target ({target}) is before the end of the first base backup ({first.Id[..12]}, consistent at " +
                $"{PgSnapshots.Time(first.StopTime)}, LSN {first.Stop}); nothing held can be restored to it");

        var coverage = inventory.Coverage(chosen);
        if (coverage.To < chosen.Stop)
            throw new CommandFailedException($"base backup {chosen.Id[..12]} cannot be made consistent: its WAL up to {chosen.Stop} is not archived" +
                (coverage.FirstGap is null ? "" : $" ({coverage.FirstGap} is missing)"));
        string window = $"the held WAL from base backup {chosen.Id[..12]} reaches LSN {coverage.To}" +
            (coverage.ToTime is { } last ? $" (written by {PgSnapshots.Time(last)})" : "") +
            (coverage.FirstGap is null ? "" : $", where {coverage.FirstGap} is missing");
        switch (target.Kind)
        {
            case RecoveryTargetKind.Time when coverage.ToTime is not { } end || target.Time > end:
                throw new CommandFailedException($"the target ({target}) is after the newest archived WAL: {window}. " +
                    "WAL written since has not been archived yet; restore to 'latest' or to an earlier time");
            // The chain is unbroken up to its end, so a position within it has every segment it needs.
            case RecoveryTargetKind.Lsn when target.Lsn > coverage.To:
                throw new CommandFailedException($"the target ({target}) is beyond the archived WAL: {window}");
        }
        return new RestorePlan(chosen, coverage, target);
    }
}
