using System.Globalization;
using System.Text.Json.Nodes;
using Bunker.Client.Arguments;
using Bunker.Client.Files;
using Bunker.Protocol.V1;

namespace Bunker.Client.Output;

/// <summary>How values look in human output and in JSON, the same in every command.</summary>
internal static class Formats
{
    /// <summary>Unix seconds as UTC ISO 8601; 0 means "not set" in the protocol, so it shows as <paramref name="none"/>.</summary>
    public static string Time(long unixSeconds, string none = "-") =>
        unixSeconds == 0 ? none : DateTimeOffset.FromUnixTimeSeconds(unixSeconds).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>The same time for JSON: null where the protocol's 0 means "not set".</summary>
    public static JsonNode? JsonTime(long unixSeconds) => unixSeconds == 0 ? null : JsonValue.Create(Time(unixSeconds));

    /// <summary>Unix nanoseconds as a moment; the protocol's times (snapshots, catalog entries) are all nanoseconds.</summary>
    public static DateTimeOffset FromUnixNanos(long unixNanos) => DateTimeOffset.UnixEpoch.AddTicks(unixNanos / TimeSpan.NanosecondsPerTick);

    /// <summary>Nanoseconds as local ISO 8601 to the second, with the offset: what a person at this machine reads.</summary>
    public static string LocalTime(long unixNanos) =>
        FromUnixNanos(unixNanos).ToLocalTime().ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    /// <summary>Nanoseconds as UTC ISO 8601 with the fraction (to 100 ns) for JSON, where tools compare times exactly.</summary>
    public static string UtcTime(long unixNanos) =>
        FromUnixNanos(unixNanos).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>A byte count for people: "512 B", "1.5 KiB", "3.2 GiB" (binary units, one decimal).</summary>
    public static string Size(ulong bytes)
    {
        if (bytes < 1024) return bytes.ToString(CultureInfo.InvariantCulture) + " B";
        string[] units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return value.ToString("0.0", CultureInfo.InvariantCulture) + " " + units[unit];
    }

    public static string RoleList(IEnumerable<Role> roles) => string.Join(",", roles.Select(Roles.Name));

    public static JsonArray JsonRoles(IEnumerable<Role> roles) => new(roles.Select(r => (JsonNode?)JsonValue.Create(Roles.Name(r))).ToArray());

    public static JsonArray JsonStrings(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());

    /// <summary>A file command's warnings for JSON: objects of path and message.</summary>
    public static JsonArray JsonWarnings(IEnumerable<FileWarning> warnings) =>
        new(warnings.Select(w => (JsonNode?)new JsonObject { ["path"] = w.Path, ["message"] = w.Message }).ToArray());

    public static string OrDash(string value) => value.Length == 0 ? "-" : value;

    public static JsonNode? JsonOrNull(string value) => value.Length == 0 ? null : JsonValue.Create(value);
}
