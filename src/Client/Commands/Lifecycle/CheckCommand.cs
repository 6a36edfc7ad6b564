using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Bunker.Client.Files.Reading;
using Bunker.Client.Output;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;

namespace Bunker.Client.Commands.Lifecycle;

/// <summary>
/// <c>bunker check [--read-data] [--read-data-subset 10%|N/M]</c>: bunkerd compares store, index and every snapshot;
/// with --read-data it reads packs, decrypts them and hashes every chunk. Each damaged or missing chunk is reported with
/// what it affects: for a files snapshot the files (found through its catalog), for a disk image the byte range of the
/// disk, else the range of the archive. Exits 3 when anything is damaged or missing. A damaged chunk leaves the index
/// as it is found, so the next backup that holds its data stores it again: run the backup, then check again.
/// </summary>
internal static class CheckCommand
{
    public static Command Create(CliContext context)
    {
        var repository = CliContext.RepositoryOption("the repository (default: $BUNKER_REPOSITORY)");
        var readData = new Option<bool>("--read-data") { Description = "read every pack, decrypt it and hash every chunk (reads the whole repository)" };
        var subset = new Option<string>("--read-data-subset")
        {
            HelpName = "P%|N/M",
            Description = "read only a random P percent of the packs, or group N of M (run 1/M ... M/M to cover everything once); implies --read-data",
        };
        var command = new Command("check", "Check the repository: every snapshot complete, and with --read-data every chunk intact; exits 3 on damage")
        {
            repository, readData, subset,
        };
        context.SetAction(command, async call =>
        {
            string part = call.Result.GetValue(subset) ?? "";
            var request = new CheckRequest
            {
                Repository = SnapshotArgument.Repository(call),
                ReadData = call.Result.GetValue(readData) || part.Length > 0,
                ReadDataSubset = part,
            };
            var report = await call.Connection.Maintenance.CheckAsync(request, call.Options(TimeSpan.FromDays(7)));
            var affected = await DamageMap.AffectedAsync(call, request.Repository, report);
            if (!report.Healthy) call.ExitCode = ExitCodes.DamageFound;
            if (call.Output.Json)
            {
                call.Output.WriteJson(ToJson(report, affected));
                return;
            }
            Write(call.Output.Out, report, affected);
        }, repository);
        return command;
    }

    private static void Write(TextWriter o, CheckReport r, IReadOnlyList<AffectedSnapshot> affected)
    {
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"packs: {r.PacksInStore} in store, {r.PacksIndexed} indexed, {r.PacksRead} read; chunks: {r.ChunksIndexed} indexed, {r.ChunksVerified} verified; snapshots: {r.Snapshots}; took {r.Seconds:F1}s"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"garbage: {r.OrphanPacks.Count} orphan pack(s), {r.UnreferencedChunks} unreferenced chunk(s) ({Formats.Size(r.UnreferencedBytes)}); 'bunker gc' reclaims them"));
        foreach (var pack in r.MissingPacks) o.WriteLine($"missing pack {pack}");
        foreach (var problem in r.Problems) o.WriteLine($"problem: {problem}");
        foreach (var note in r.Notes) o.WriteLine($"note: {note}");
        foreach (var chunk in r.Chunks)
            o.WriteLine($"{chunk.Problem} chunk {Convert.ToHexStringLower(chunk.Digest.Span)}{(chunk.Pack.Length > 0 ? $" in pack {chunk.Pack}" : "")}: {chunk.Detail}");
        foreach (var snapshot in affected)
        {
            o.WriteLine($"affected snapshot {snapshot.Id} ({snapshot.Kind}, host {snapshot.Host}, {snapshot.Time}):");
            foreach (var what in snapshot.What) o.WriteLine($"  {what}");
        }
        if (r.Healthy)
        {
            o.WriteLine("no damage found");
            return;
        }
        int damaged = r.Chunks.Count(c => c.Problem == "damaged"), missing = r.Chunks.Count - damaged;
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"DAMAGE FOUND: {damaged} chunk(s) damaged, {missing} missing, {r.MissingPacks.Count} pack(s) missing; {affected.Count} snapshot(s) affected"));
        if (damaged > 0)
            o.WriteLine("the damaged chunks left the index: a backup of the same data stores them again, or 'bunkerd repair --heal-from' copies them from a mirror");
    }

    private static JsonObject ToJson(CheckReport r, IReadOnlyList<AffectedSnapshot> affected)
    {
        var chunks = new JsonArray();
        foreach (var c in r.Chunks)
        {
            var uses = new JsonArray();
            foreach (var use in c.Uses)
                uses.Add(new JsonObject { ["snapshot"] = Convert.ToHexStringLower(use.SnapshotId.Span), ["archive"] = use.Archive, ["offset"] = use.Offset, ["length"] = use.Length });
            chunks.Add(new JsonObject
            {
                ["digest"] = Convert.ToHexStringLower(c.Digest.Span), ["pack"] = Formats.JsonOrNull(c.Pack), ["problem"] = c.Problem, ["detail"] = c.Detail, ["uses"] = uses,
            });
        }
        var snapshots = new JsonArray();
        foreach (var s in affected)
            snapshots.Add(new JsonObject { ["id"] = s.Id, ["kind"] = s.Kind, ["host"] = s.Host, ["files"] = Formats.JsonStrings(s.Files), ["affects"] = Formats.JsonStrings(s.What) });
        return new JsonObject
        {
            ["healthy"] = r.Healthy,
            ["packs_in_store"] = r.PacksInStore,
            ["packs_indexed"] = r.PacksIndexed,
            ["packs_read"] = r.PacksRead,
            ["chunks_indexed"] = r.ChunksIndexed,
            ["chunks_verified"] = r.ChunksVerified,
            ["snapshots"] = r.Snapshots,
            ["unreferenced_chunks"] = r.UnreferencedChunks,
            ["unreferenced_bytes"] = r.UnreferencedBytes,
            ["orphan_packs"] = Formats.JsonStrings(r.OrphanPacks),
            ["missing_packs"] = Formats.JsonStrings(r.MissingPacks),
            ["problems"] = Formats.JsonStrings(r.Problems),
            ["notes"] = Formats.JsonStrings(r.Notes),
            ["chunks"] = chunks,
            ["affected_snapshots"] = snapshots,
            ["seconds"] = r.Seconds,
        };
    }
}

/// <summary>One snapshot a check found damage in, and what of it is affected: files by path, or byte ranges.</summary>
internal sealed record AffectedSnapshot(string Id, string Kind, string Host, string Time, List<string> Files, List<string> What);

/// <summary>Turns a check's chunk uses (snapshot, archive, offset) into what a person restores: files, disk ranges.</summary>
internal static class DamageMap
{
    private readonly record struct Range(ulong Start, ulong End);

    public static async Task<List<AffectedSnapshot>> AffectedAsync(CommandCall call, string repository, CheckReport report)
    {
        var bySnapshot = new SortedDictionary<string, Dictionary<string, List<Range>>>(StringComparer.Ordinal);
        foreach (var chunk in report.Chunks)
        {
            foreach (var use in chunk.Uses)
            {
                string id = Convert.ToHexStringLower(use.SnapshotId.Span);
                if (!bySnapshot.TryGetValue(id, out var archives)) bySnapshot[id] = archives = new Dictionary<string, List<Range>>(StringComparer.Ordinal);
                if (!archives.TryGetValue(use.Archive, out var ranges)) archives[use.Archive] = ranges = [];
                ranges.Add(new Range(use.Offset, use.Offset + use.Length));
            }
        }
        var affected = new List<AffectedSnapshot>();
        foreach (var (id, archives) in bySnapshot)
        {
            SnapshotInfo info;
            try
            {
                info = await call.Connection.Repository.GetSnapshotAsync(new GetSnapshotRequest { Repository = repository, Snapshot = id }, call.Options());
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
            {
                continue; // removed since the check
            }
            var entry = new AffectedSnapshot(id, info.SourceKind, info.Host, Formats.LocalTime(info.TimeUnixNanos), [], []);
            foreach (var (archive, ranges) in archives.OrderBy(a => a.Key, StringComparer.Ordinal))
            {
                ranges.Sort((a, b) => a.Start.CompareTo(b.Start));
                if (info.SourceKind == FilesSnapshot.Kind && archive == FilesSnapshot.PayloadArchive)
                    await FilesAsync(call, repository, info, ranges, entry).ConfigureAwait(false);
                else if (info.SourceKind == FilesSnapshot.Kind && archive == FilesSnapshot.CatalogArchive)
                    entry.What.Add($"its file list (catalog archive) at {Ranges(ranges)}: the snapshot cannot be listed or restored");
                else if (info.SourceKind == "vm")
                    entry.What.Add($"disk '{archive}' bytes {Ranges(ranges)}");
                else
                    entry.What.Add($"archive '{archive}' bytes {Ranges(ranges)}");
            }
            affected.Add(entry);
        }
        return affected;
    }

    /// <summary>The files whose stored bytes overlap a damaged range, from one pass over the catalog.</summary>
    private static async Task FilesAsync(CommandCall call, string repository, SnapshotInfo info, List<Range> ranges, AffectedSnapshot entry)
    {
        try
        {
            await using var snapshot = await FilesSnapshot.OpenAsync(call.Connection.Repository, repository, info, call.Options(TimeSpan.FromHours(1)), call.CancellationToken);
            while (await snapshot.Catalog.ReadAsync(call.CancellationToken) is { } file)
            {
                if (file.ChunkCount == 0) continue;
                ulong stored = file.Size;
                if (file.Extents.Count > 0)
                {
                    stored = 0;
                    foreach (var extent in file.Extents) stored += extent.Length;
                }
                if (stored == 0 || !Overlaps(ranges, file.PayloadOffset, file.PayloadOffset + stored)) continue;
                string path = CatalogEntryFormat.Path(file.Path.Span);
                entry.Files.Add(path);
                entry.What.Add($"file {path}");
            }
        }
        catch (Exception e) when (e is InvalidDataException or RpcException or CommandFailedException)
        {
            entry.What.Add($"file contents at payload bytes {Ranges(ranges)} (the catalog cannot be read to name the files: {e.Message})");
        }
    }

    private static bool Overlaps(List<Range> sorted, ulong start, ulong end)
    {
        // The first range ending after start, then whether it begins before end.
        int lo = 0, hi = sorted.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) / 2;
            if (sorted[mid].End <= start) lo = mid + 1;
            else hi = mid;
        }
        for (int i = lo; i < sorted.Count && sorted[i].Start < end; i++)
            if (sorted[i].End > start) return true;
        return false;
    }

    private static string Ranges(List<Range> ranges)
    {
        var parts = ranges.Take(10).Select(r => string.Create(CultureInfo.InvariantCulture, $"[{r.Start}, {r.End})"));
        return string.Join(", ", parts) + (ranges.Count > 10 ? $" and {ranges.Count - 10} more" : "");
    }
}
