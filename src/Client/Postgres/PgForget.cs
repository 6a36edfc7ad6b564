using System.Globalization;
using System.Text.Json.Nodes;
using Bunker.Client.Commands;
using Bunker.Client.Output;
using Bunker.Client.Postgres.Wal;
using Bunker.Protocol.V1;

namespace Bunker.Client.Postgres;

/// <summary>What <c>bunker pg forget</c> removes: base backups beyond the newest N, and WAL older than every remaining one.</summary>
internal sealed record PgForgetPlan(IReadOnlyList<BaseBackup> Backups, IReadOnlyList<ArchivedWalFile> Wal, string? Oldest, string Reason);

/// <summary>
/// Retention for a cluster. A base backup needs the WAL from its start segment on, on every timeline; so once backups
/// are forgotten, the WAL files whose segment is older than the oldest remaining backup's start segment are needed by
/// nothing and are removed. Timeline history files are always kept: they are tiny, and following timelines needs them.
/// With no base backup left, no WAL is removed: there is nothing to measure "older" against.
/// </summary>
internal static class PgForget
{
    public static PgForgetPlan Plan(PgInventory inventory, int? keepLast)
    {
        var backups = inventory.Backups;
        int remove = keepLast is { } keep && backups.Count > keep ? backups.Count - keep : 0;
        var forgotten = new List<BaseBackup>(remove);
        for (int i = 0; i < remove; i++) forgotten.Add(backups[i]);
        if (backups.Count == remove)
            return new PgForgetPlan(forgotten, [], null, "no base backup remains, so all WAL is kept");

        ulong oldestStart = ulong.MaxValue;
        BaseBackup? oldest = null;
        for (int i = remove; i < backups.Count; i++)
        {
            ulong segment = backups[i].Start.SegmentNumber(inventory.SegmentSize);
            if (segment < oldestStart) (oldestStart, oldest) = (segment, backups[i]);
        }
        var wal = new List<ArchivedWalFile>();
        foreach (var file in inventory.Wal)
        {
            if (file.File.Kind != WalFileKind.History && file.File.Segment < oldestStart) wal.Add(file);
        }
        string first = WalFileName.SegmentName(oldest!.Timeline, oldestStart, inventory.SegmentSize);
        return new PgForgetPlan(forgotten, wal, oldest.Id, $"WAL before {first} (the start of base backup {oldest.Id[..12]}) is needed by no remaining base backup");
    }

    public static async Task RunAsync(CommandCall call, string repository, PgForgetPlan plan, bool dryRun)
    {
        // Backups first: an interrupted run then never leaves a backup whose WAL is gone.
        foreach (var backup in plan.Backups)
        {
            if (!dryRun) await DeleteAsync(call, repository, backup.Snapshot).ConfigureAwait(false);
            if (!call.Output.Json) call.Output.Out.WriteLine($"{(dryRun ? "would remove" : "removed")} base backup {backup.Id[..12]} ({PgReport.Time(backup.StartTime)})");
        }
        ulong bytes = 0;
        foreach (var file in plan.Wal)
        {
            if (!dryRun) await DeleteAsync(call, repository, file.Snapshot).ConfigureAwait(false);
            bytes += file.Snapshot.Size;
        }
        string verb = dryRun ? "would remove" : "removed";
        if (call.Output.Json)
        {
            call.Output.WriteJson(new JsonObject
            {
                ["dry_run"] = dryRun,
                ["base_backups_removed"] = new JsonArray(plan.Backups.Select(b => (JsonNode?)JsonValue.Create(b.Id)).ToArray()),
                ["wal_files_removed"] = plan.Wal.Count,
                ["wal_bytes_removed"] = bytes,
                ["reason"] = plan.Reason,
            });
            return;
        }
        call.Output.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{verb} {plan.Wal.Count} WAL file(s), {Formats.Size(bytes)}: {plan.Reason}"));
    }

    private static async Task DeleteAsync(CommandCall call, string repository, SnapshotInfo snapshot) =>
        await call.Connection.Repository.DeleteSnapshotAsync(new DeleteSnapshotRequest { Repository = repository, SnapshotId = snapshot.Id }, call.Options()).ResponseAsync.ConfigureAwait(false);
}
