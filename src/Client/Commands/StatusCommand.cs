using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Bunker.Client.Output;
using Bunker.Protocol.V1;

namespace Bunker.Client.Commands;

/// <summary>
/// <c>bunker admin status</c>: the stores' health and where each repository's packs are. Exits 3 when a fallback runs
/// degraded (its primary is unhealthy and writes go elsewhere), so that a monitoring check can alert on it.
/// </summary>
internal static class StatusCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("status", "Store health (a fallback running degraded exits 3) and where each repository's packs are");
        context.SetAction(command, async call =>
        {
            var status = await call.Connection.Admin.StatusAsync(new StatusRequest(), call.Options());
            if (status.Degraded) call.ExitCode = ExitCodes.Incomplete;
            if (call.Output.Json)
            {
                call.Output.WriteJson(ToJson(status));
                return;
            }
            var o = call.Output.Out;
            o.WriteLine(status.Degraded ? "DEGRADED: a fallback's primary is unhealthy; writes go to its next member" : "all stores healthy");
            foreach (var store in status.Stores)
            {
                string state = store.Degraded ? "degraded" : store.Healthy ? "healthy" : $"UNHEALTHY since {Formats.Time(store.SinceUnix)}: {store.LastError}";
                string members = store.Members.Count > 0 ? $" [{string.Join(", ", store.Members)}]" : "";
                string s3 = store.S3 is { } c
                    ? string.Create(CultureInfo.InvariantCulture, $"; requests: {c.Puts} put, {c.MultipartRequests} multipart, {c.Gets} get, {c.Heads} head, {c.Lists} list, {c.Deletes} delete, {c.Retries} retried")
                    : "";
                o.WriteLine($"store {store.Name} ({store.Type}{members}): {state}{s3}");
            }
            foreach (var repository in status.Repositories)
            {
                var where = repository.PacksByLocation.OrderBy(p => p.Key, StringComparer.Ordinal)
                    .Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Value} on {p.Key} ({Formats.Size((ulong)repository.BytesByLocation.GetValueOrDefault(p.Key))})"));
                o.WriteLine($"repository {repository.Repository} in {repository.Store}: {(repository.PacksByLocation.Count == 0 ? "no packs" : "packs " + string.Join(", ", where))}" +
                    (repository.LastError.Length > 0 ? $"; last store job failed: {repository.LastError}" : ""));
            }
        });
        return command;
    }

    private static JsonObject ToJson(StatusResponse status)
    {
        var stores = new JsonArray();
        foreach (var store in status.Stores)
        {
            var entry = new JsonObject
            {
                ["name"] = store.Name, ["type"] = store.Type, ["healthy"] = store.Healthy, ["degraded"] = store.Degraded,
                ["since"] = store.SinceUnix > 0 ? Formats.JsonTime(store.SinceUnix) : null, ["last_error"] = store.LastError, ["failures"] = store.Failures,
                ["members"] = new JsonArray([.. store.Members.Select(m => (JsonNode?)m)]),
            };
            if (store.S3 is { } c)
                entry["s3"] = new JsonObject
                {
                    ["puts"] = c.Puts, ["multipart_requests"] = c.MultipartRequests, ["gets"] = c.Gets, ["heads"] = c.Heads, ["lists"] = c.Lists,
                    ["deletes"] = c.Deletes, ["retries"] = c.Retries, ["bytes_uploaded"] = c.BytesUploaded, ["bytes_downloaded"] = c.BytesDownloaded,
                };
            stores.Add(entry);
        }
        var repositories = new JsonArray();
        foreach (var repository in status.Repositories)
        {
            var packs = new JsonObject();
            foreach (var (location, count) in repository.PacksByLocation) packs[location] = count;
            var bytes = new JsonObject();
            foreach (var (location, size) in repository.BytesByLocation) bytes[location] = size;
            repositories.Add(new JsonObject
            {
                ["repository"] = repository.Repository, ["store"] = repository.Store, ["packs_by_location"] = packs, ["bytes_by_location"] = bytes,
                ["checked"] = repository.CheckedUnix > 0 ? Formats.JsonTime(repository.CheckedUnix) : null, ["last_error"] = repository.LastError,
            });
        }
        return new JsonObject { ["degraded"] = status.Degraded, ["stores"] = stores, ["repositories"] = repositories };
    }
}
