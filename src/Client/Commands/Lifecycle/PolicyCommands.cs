using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Bunker.Client.Arguments;
using Bunker.Client.Output;
using Bunker.Protocol.V1;

namespace Bunker.Client.Commands.Lifecycle;

/// <summary>
/// <c>bunker policy show</c> and <c>bunker policy set</c> (admin): what bunkerd does to a repository on its own. With
/// retention in the policy, bunkerd forgets by it on schedule, judging snapshots by the times it committed them, so a
/// host's backup token never needs delete rights and cannot date snapshots to push real ones out.
/// </summary>
internal static class PolicyCommands
{
    public static Command Create(CliContext context) => new("policy", "The repository's policy: scheduled retention, garbage collection, checks, verify-after-backup")
    {
        Show(context),
        Set(context),
    };

    private static Command Show(CliContext context)
    {
        var repository = CliContext.RepositoryOption("the repository (default: $BUNKER_REPOSITORY)");
        var command = new Command("show", "Show the policy and when its jobs last ran") { repository };
        context.SetAction(command, async call =>
        {
            var view = await call.Connection.Maintenance.GetPolicyAsync(new GetPolicyRequest { Repository = SnapshotArgument.Repository(call) }, call.Options());
            if (call.Output.Json)
            {
                call.Output.WriteJson(ToJson(view));
                return;
            }
            var p = view.Policy;
            var s = view.State;
            var o = call.Output.Out;
            o.WriteLine(p.Retention is { } r
                ? string.Create(CultureInfo.InvariantCulture, $"retention: {RetentionOptions.Describe(r)}, every {p.RetentionEveryHours:0.##}h{(p.Prune ? ", then gc" : "")}")
                : "retention: none (snapshots are kept until someone with the operator role forgets them)");
            o.WriteLine(p.CheckEveryHours > 0
                ? string.Create(CultureInfo.InvariantCulture, $"check: every {p.CheckEveryHours:0.##}h, reading {(p.CheckReadDataSubset.Length > 0 ? p.CheckReadDataSubset + " of the packs" : "no pack data")}")
                : "check: not scheduled");
            o.WriteLine($"verify after backup: {(p.VerifyAfterBackup ? "yes" : "no")}");
            if (p.RepackBelow > 0) o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"repack below: {p.RepackBelow:0.##}"));
            if (s.RetentionUnix > 0) o.WriteLine($"last retention: {Formats.Time(s.RetentionUnix)}: {s.RetentionOutcome}");
            if (s.GcUnix > 0) o.WriteLine($"last gc: {Formats.Time(s.GcUnix)}: {s.GcOutcome}");
            if (s.CheckUnix > 0) o.WriteLine($"last check: {Formats.Time(s.CheckUnix)}: {s.CheckOutcome}");
            if (s.VerifyFailedUnix > 0) o.WriteLine($"last failed verify-after-backup: {Formats.Time(s.VerifyFailedUnix)}: {s.VerifyOutcome}");
        }, repository);
        return command;
    }

    private static Command Set(CliContext context)
    {
        var repository = CliContext.RepositoryOption("the repository (default: $BUNKER_REPOSITORY)");
        var rules = new RetentionOptions();
        var every = new Option<string>("--retention-every") { HelpName = "DURATION", Description = "how often bunkerd applies the retention rules (default 1d)" };
        var prune = new Option<bool>("--prune") { Description = "collect garbage after each scheduled retention" };
        var repackBelow = new Option<string>("--repack-below") { HelpName = "SHARE", Description = "rewrite packs whose live share is below this when collecting (default 0.5)" };
        var verify = new Option<bool>("--verify-after-backup") { Description = "read every new snapshot back (decrypt, hash every chunk) before its backup reports success" };
        var checkEvery = new Option<string>("--check-every") { HelpName = "DURATION", Description = "run a check this often" };
        var checkSubset = new Option<string>("--check-read-data-subset")
        {
            HelpName = "P%|N/M",
            Description = "what each scheduled check reads of the pack data: a random P%, or M groups in turn (N/M with any N)",
        };
        var command = new Command("set", "Replace the policy with the one given (no options: clear it)")
        {
            repository, every, prune, repackBelow, verify, checkEvery, checkSubset,
        };
        rules.AddTo(command);
        context.SetAction(command, async call =>
        {
            var policy = new RepositoryPolicy
            {
                Prune = call.Result.GetValue(prune),
                VerifyAfterBackup = call.Result.GetValue(verify),
                CheckReadDataSubset = call.Result.GetValue(checkSubset) ?? "",
            };
            if (rules.Given(call.Result)) policy.Retention = rules.Read(call.Result);
            if (call.Result.GetValue(every) is { } e) policy.RetentionEveryHours = Durations.Parse(e).TotalHours;
            if (call.Result.GetValue(checkEvery) is { } c) policy.CheckEveryHours = Durations.Parse(c).TotalHours;
            if (call.Result.GetValue(repackBelow) is { } share) policy.RepackBelow = GcCommand.ParseShare(share);
            if (policy.Retention is null && (policy.Prune || policy.RetentionEveryHours > 0))
                throw new UsageException("--prune and --retention-every need keep rules (--keep-daily, ...)");
            var stored = await call.Connection.Maintenance.SetPolicyAsync(new SetPolicyRequest { Repository = SnapshotArgument.Repository(call), Policy = policy }, call.Options());
            call.Output.WriteRecord(ToJson(new PolicyView { Policy = stored }), "policy set");
        }, repository);
        return command;
    }

    private static JsonObject ToJson(PolicyView view)
    {
        var p = view.Policy;
        JsonObject? retention = p.Retention is { } r
            ? new JsonObject
            {
                ["keep_last"] = r.KeepLast, ["keep_hourly"] = r.KeepHourly, ["keep_daily"] = r.KeepDaily, ["keep_weekly"] = r.KeepWeekly,
                ["keep_monthly"] = r.KeepMonthly, ["keep_yearly"] = r.KeepYearly, ["keep_within_seconds"] = r.KeepWithinSeconds,
                ["keep_tags"] = Formats.JsonStrings(r.KeepTags), ["time_zone"] = Formats.JsonOrNull(r.TimeZone), ["group_by"] = Formats.JsonStrings(r.GroupBy),
            }
            : null;
        var json = new JsonObject
        {
            ["retention"] = retention,
            ["retention_every_hours"] = p.RetentionEveryHours,
            ["prune"] = p.Prune,
            ["repack_below"] = p.RepackBelow,
            ["verify_after_backup"] = p.VerifyAfterBackup,
            ["check_every_hours"] = p.CheckEveryHours,
            ["check_read_data_subset"] = Formats.JsonOrNull(p.CheckReadDataSubset),
        };
        if (view.State is { } s)
        {
            json["state"] = new JsonObject
            {
                ["retention"] = Formats.JsonTime(s.RetentionUnix), ["retention_outcome"] = Formats.JsonOrNull(s.RetentionOutcome),
                ["gc"] = Formats.JsonTime(s.GcUnix), ["gc_outcome"] = Formats.JsonOrNull(s.GcOutcome),
                ["check"] = Formats.JsonTime(s.CheckUnix), ["check_healthy"] = s.CheckUnix > 0 ? s.CheckHealthy : null,
                ["check_outcome"] = Formats.JsonOrNull(s.CheckOutcome), ["check_runs"] = s.CheckRuns,
                ["verify_failed"] = Formats.JsonTime(s.VerifyFailedUnix), ["verify_outcome"] = Formats.JsonOrNull(s.VerifyOutcome),
            };
        }
        return json;
    }
}
