using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Bunker.Client.Arguments;
using Bunker.Client.Output;
using Bunker.Protocol.V1;

namespace Bunker.Client.Commands.Lifecycle;

/// <summary>
/// <c>bunker gc</c>: garbage collection in bunkerd (operator role). Backups and restores go on while it runs. Packs
/// left with nothing live, or rewritten because little of them lives, are deleted after a grace period, so a
/// collection reports what it condemned now and what it deleted of earlier ones.
/// </summary>
internal static class GcCommand
{
    public static Command Create(CliContext context)
    {
        var repository = CliContext.RepositoryOption("the repository (default: $BUNKER_REPOSITORY)");
        var dryRun = new Option<bool>("--dry-run") { Description = "say what would be reclaimed, change nothing" };
        var repackBelow = new Option<string>("--repack-below")
        {
            HelpName = "SHARE",
            Description = "rewrite packs whose live share is below this, 0 to 1 or a percentage (default: the policy's, else 0.5; 0 never rewrites)",
        };
        var grace = new Option<string>("--grace") { HelpName = "DURATION", Description = "how long condemned packs stay before deletion (default 15m)" };
        var command = new Command("gc", "Collect garbage: drop unreferenced chunks, rewrite mostly dead packs, delete condemned packs past their grace")
        {
            repository, dryRun, repackBelow, grace,
        };
        context.SetAction(command, async call =>
        {
            var request = new CollectGarbageRequest { Repository = SnapshotArgument.Repository(call), DryRun = call.Result.GetValue(dryRun) };
            if (call.Result.GetValue(repackBelow) is { } share) request.RepackBelow = ParseShare(share);
            if (call.Result.GetValue(grace) is { } span) request.GraceSeconds = (long)Durations.Parse(span).TotalSeconds;
            var report = await call.Connection.Maintenance.CollectGarbageAsync(request, call.Options(TimeSpan.FromHours(24)));
            if (call.Output.Json) call.Output.WriteJson(ToJson(report));
            else Write(call.Output.Out, report);
        }, repository);
        return command;
    }

    /// <summary>"0.3" or "30%".</summary>
    public static double ParseShare(string text)
    {
        bool percent = text.EndsWith('%');
        if (!double.TryParse(percent ? text[..^1] : text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value))
            throw new UsageException($"'{text}' is not a share: give 0 to 1, or a percentage like 30%");
        if (percent) value /= 100;
        if (value is < 0 or > 1) throw new UsageException($"'{text}' is not a share between 0 and 1 (0% to 100%)");
        return value;
    }

    public static void Write(TextWriter o, GarbageReport r)
    {
        string would = r.DryRun ? "would be " : "";
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"gc{(r.DryRun ? " (dry run)" : "")}: {r.Snapshots} snapshot(s); chunks {r.ChunksLive} live, {r.ChunksDead} dead ({Formats.Size(r.BytesDead)}), {r.ChunksPinned} pinned by open sessions"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"packs: {r.PacksCondemned} {would}condemned ({Formats.Size(r.BytesCondemned)}), of them {r.PacksRewritten} {would}rewritten ({Formats.Size(r.BytesRewritten)} of live data copied), {r.PacksTrimmed} {would}trimmed"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"reclaimed: {Formats.Size(r.BytesReclaimed)} in {r.PacksDeleted} pack(s) {(r.DryRun ? "could be " : "")}deleted (condemned packs go once their grace has passed); took {r.Seconds:F1}s"));
        foreach (var problem in r.Problems) o.WriteLine($"problem: {problem}");
    }

    public static JsonObject ToJson(GarbageReport r) => new()
    {
        ["dry_run"] = r.DryRun,
        ["snapshots"] = r.Snapshots,
        ["chunks_live"] = r.ChunksLive,
        ["chunks_dead"] = r.ChunksDead,
        ["bytes_dead"] = r.BytesDead,
        ["chunks_pinned"] = r.ChunksPinned,
        ["packs_condemned"] = r.PacksCondemned,
        ["bytes_condemned"] = r.BytesCondemned,
        ["packs_rewritten"] = r.PacksRewritten,
        ["bytes_rewritten"] = r.BytesRewritten,
        ["packs_trimmed"] = r.PacksTrimmed,
        ["packs_deleted"] = r.PacksDeleted,
        ["bytes_reclaimed"] = r.BytesReclaimed,
        ["seconds"] = r.Seconds,
        ["problems"] = Formats.JsonStrings(r.Problems),
    };
}
