using System.Globalization;
using System.Text.Json.Nodes;
using Bunker.Client.Arguments;
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

    public static string RoleList(IEnumerable<Role> roles) => string.Join(",", roles.Select(Roles.Name));

    public static JsonArray JsonRoles(IEnumerable<Role> roles) => new(roles.Select(r => (JsonNode?)JsonValue.Create(Roles.Name(r))).ToArray());

    public static JsonArray JsonStrings(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());

    public static string OrDash(string value) => value.Length == 0 ? "-" : value;

    public static JsonNode? JsonOrNull(string value) => value.Length == 0 ? null : JsonValue.Create(value);

    /// <summary>A byte count for people: B, KiB, MiB, GiB, TiB with one decimal.</summary>
    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        double value = bytes;
        int unit = 0;
        while (Math.Abs(value) >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? string.Create(CultureInfo.InvariantCulture, $"{bytes} B") : string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {units[unit]}");
    }
}
