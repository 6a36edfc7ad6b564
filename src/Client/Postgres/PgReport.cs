using System.Globalization;
using System.Text.Json.Nodes;
using Bunker.Client.Output;
using Bunker.Client.Postgres.Wal;

namespace Bunker.Client.Postgres;

/// <summary>How base backups and the WAL chain are shown by <c>bunker pg backups</c> and <c>bunker pg verify</c>.</summary>
internal static class PgReport
{
    public static string Time(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>ok, "gap at FILE" (the window ends early), or "unrestorable" (its own WAL is missing).</summary>
    public static string State(BaseBackup backup, WalCoverage coverage) =>
        coverage.To < backup.Stop ? "unrestorable" : coverage.FirstGap is { } gap ? "gap at " + gap : "ok";

    public static JsonObject BackupJson(BaseBackup backup, WalCoverage coverage) => new()
    {
        ["id"] = backup.Id,
        ["system_identifier"] = backup.SystemIdentifier.ToString(CultureInfo.InvariantCulture),
        ["timeline"] = backup.Timeline,
        ["start_lsn"] = backup.Start.ToString(),
        ["stop_lsn"] = backup.Stop.ToString(),
        ["start_time"] = PgSnapshots.Time(backup.StartTime),
        ["stop_time"] = PgSnapshots.Time(backup.StopTime),
        ["size"] = backup.Snapshot.Size,
        ["wal_method"] = backup.WalMethod,
        ["restorable_from_lsn"] = backup.Stop.ToString(),
        ["restorable_from_time"] = PgSnapshots.Time(backup.StopTime),
        ["restorable_to_lsn"] = coverage.To.ToString(),
        ["restorable_to_time"] = coverage.ToTime is { } t ? PgSnapshots.Time(t) : null,
        ["timelines"] = new JsonArray(coverage.Timelines.Select(tl => (JsonNode?)JsonValue.Create(tl)).ToArray()),
        ["first_gap"] = coverage.FirstGap,
        ["state"] = State(backup, coverage),
    };

    /// <summary>Prints the chain of every base backup; returns the exit code (0 all whole, 3 gaps, 1 a backup cannot be restored).</summary>
    public static int Verify(CommandOutput output, PgInventory inventory)
    {
        int segments = inventory.Segments.Count;
        var newest = NewestSegment(inventory);
        var timelines = new SortedSet<uint>();
        foreach (var segment in inventory.Segments) timelines.Add(segment.File.Timeline);
        int code = ExitCodes.Ok;
        var results = new JsonArray();
        if (!output.Json)
        {
            string archived = newest is { } n ? $" (written by {Time(n.PushedAt)})" : "";
            output.Out.WriteLine(FormattableString.Invariant(
                $"cluster {inventory.SystemIdentifier} on {inventory.Host}: {inventory.Backups.Count} base backup(s), {segments} WAL segment(s) on timeline(s) {string.Join(",", timelines)}, {inventory.Histories.Count} history file(s); newest segment {newest?.File.Name ?? "-"}{archived}"));
        }
        if (inventory.Backups.Count == 0)
        {
            if (!output.Json) output.Out.WriteLine("no base backup: nothing can be restored");
            code = ExitCodes.Failed;
        }
        foreach (var backup in inventory.Backups)
        {
            var coverage = inventory.Coverage(backup);
            string state = State(backup, coverage);
            if (state == "unrestorable") code = ExitCodes.Failed;
            else if (coverage.FirstGap is not null && code == ExitCodes.Ok) code = ExitCodes.Incomplete;
            results.Add(BackupJson(backup, coverage));
            if (output.Json) continue;
            string until = coverage.ToTime is { } t ? $" ({Time(t)})" : "";
            output.Out.WriteLine(FormattableString.Invariant(
                $"base backup {backup.Id[..12]} {Time(backup.StartTime)} timeline {backup.Timeline}: restorable from {backup.Stop} ({Time(backup.StopTime)}) to {coverage.To}{until}, {coverage.Required.Count} segment(s) on timeline(s) {string.Join("->", coverage.Timelines)}: {state}"));
            if (coverage.FirstGap is { } gap)
                output.Out.WriteLine($"  {gap} is missing: WAL after it cannot be replayed from this backup");
        }
        if (output.Json)
        {
            output.WriteJson(new JsonObject
            {
                ["system_identifier"] = inventory.SystemIdentifier.ToString(CultureInfo.InvariantCulture),
                ["host"] = inventory.Host,
                ["segments"] = segments,
                ["newest_segment"] = newest?.File.Name,
                ["timelines"] = new JsonArray(timelines.Select(tl => (JsonNode?)JsonValue.Create(tl)).ToArray()),
                ["backups"] = results,
            });
        }
        return code;
    }

    private static ArchivedWal? NewestSegment(PgInventory inventory)
    {
        ArchivedWal? newest = null;
        foreach (var segment in inventory.Segments)
        {
            if (newest is null || segment.File.Segment > newest.Value.File.Segment ||
                (segment.File.Segment == newest.Value.File.Segment && segment.File.Timeline > newest.Value.File.Timeline))
                newest = segment;
        }
        return newest;
    }
}
