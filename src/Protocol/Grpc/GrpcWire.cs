using System.Globalization;
using System.Net;
using System.Text;

namespace Bunker.Protocol.Grpc;

/// <summary>Header names and encodings of gRPC over HTTP/2 (PROTOCOL-HTTP2.md), shared by client and server.</summary>
internal static class GrpcWire
{
    public const string ContentType = "application/grpc";
    public const string StatusHeader = "grpc-status";
    public const string MessageHeader = "grpc-message";
    public const string TimeoutHeader = "grpc-timeout";
    public const string EncodingHeader = "grpc-encoding";
    public const string AcceptEncodingHeader = "grpc-accept-encoding";
    public const string IdentityEncoding = "identity";

    /// <summary>CancelAfter takes at most uint.MaxValue - 1 ms; longer deadlines get no timer.</summary>
    public static readonly TimeSpan MaxTimer = TimeSpan.FromDays(24);
    public static readonly Status DeadlineStatus = new(StatusCode.DeadlineExceeded, "Deadline Exceeded");

    /// <summary>A token that fires when either does; allocates a linked source only when <paramref name="token"/> adds something.</summary>
    public static CancellationTokenSource? Link(CancellationToken token, CancellationToken callToken, out CancellationToken linked)
    {
        if (!token.CanBeCanceled || token == callToken)
        {
            linked = callToken;
            return null;
        }
        var cts = CancellationTokenSource.CreateLinkedTokenSource(token, callToken);
        linked = cts.Token;
        return cts;
    }

    /// <summary>Application metadata from wire headers: protocol headers skipped, unusable entries dropped.</summary>
    public static Metadata ToMetadata<TValues>(IEnumerable<KeyValuePair<string, TValues>> headers) where TValues : IEnumerable<string?>
    {
        var metadata = new Metadata();
        foreach (var (name, values) in headers)
        {
            if (IsReservedHeader(name)) continue;
            foreach (var value in values)
            {
                if (value is not null && ToEntry(name, value) is { } entry) metadata.Add(entry);
            }
        }
        return metadata;
    }

    /// <summary>Headers that belong to the protocol, never to the application's metadata.</summary>
    public static bool IsReservedHeader(string name) =>
        name.StartsWith(':') ||
        name.StartsWith("grpc-", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("content-type", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("te", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("host", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("user-agent", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("content-length", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("transfer-encoding", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("connection", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("date", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("server", StringComparison.OrdinalIgnoreCase);

    /// <summary><c>application/grpc</c> or <c>application/grpc+proto</c>, optionally with parameters.</summary>
    public static bool IsGrpcContentType(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType)) return false;
        var semicolon = contentType.IndexOf(';');
        var media = (semicolon < 0 ? contentType : contentType[..semicolon]).Trim();
        return media.Equals(ContentType, StringComparison.OrdinalIgnoreCase)
            || media.Equals(ContentType + "+proto", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Converts one wire header to a metadata entry (base64-decodes <c>-bin</c>; padded or not). Null when unusable.</summary>
    public static Metadata.Entry? ToEntry(string name, string value)
    {
        try
        {
            var key = name.ToLowerInvariant();
            return Metadata.Entry.IsBinaryKey(key) ? new Metadata.Entry(key, DecodeBase64(value)) : new Metadata.Entry(key, value);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            return null;
        }
    }

    /// <summary>The wire form of an entry's value: ASCII as is, bytes as unpadded base64.</summary>
    public static string ToWireValue(Metadata.Entry entry) =>
        entry.IsBinary ? Convert.ToBase64String(entry.ValueBytes).TrimEnd('=') : entry.Value;

    private static byte[] DecodeBase64(string value)
    {
        var trimmed = value.Trim();
        var padding = (4 - trimmed.Length % 4) % 4;
        if (padding == 3) throw new FormatException("Invalid base64 length.");
        return Convert.FromBase64String(trimmed + new string('=', padding));
    }

    /// <summary>Percent-encodes a status message: bytes of its UTF-8 outside 0x20..0x7E, and '%', become %XX.</summary>
    public static string PercentEncode(string message)
    {
        var needs = false;
        foreach (var c in message)
        {
            if (c < 0x20 || c > 0x7E || c == '%') { needs = true; break; }
        }
        if (!needs) return message;
        var sb = new StringBuilder(message.Length * 2);
        foreach (var b in Encoding.UTF8.GetBytes(message))
        {
            if (b < 0x20 || b > 0x7E || b == '%') sb.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            else sb.Append((char)b);
        }
        return sb.ToString();
    }

    /// <summary>Reverses <see cref="PercentEncode"/>; a malformed escape is kept literally, as the spec asks.</summary>
    public static string PercentDecode(string value)
    {
        if (!value.Contains('%')) return value;
        var bytes = new List<byte>(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '%' && i + 2 < value.Length &&
                byte.TryParse(value.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b))
            {
                bytes.Add(b);
                i += 2;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>Parses <c>grpc-timeout</c>: 1 to 8 ASCII digits and a unit of H M S m u n.</summary>
    public static bool TryParseTimeout(string? value, out TimeSpan timeout)
    {
        timeout = default;
        if (value is null || value.Length < 2 || value.Length > 9) return false;
        var digits = value.AsSpan(0, value.Length - 1);
        foreach (var d in digits)
        {
            if (d is < '0' or > '9') return false;
        }
        var amount = long.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
        var ticks = value[^1] switch
        {
            'H' => amount * TimeSpan.TicksPerHour,
            'M' => amount * TimeSpan.TicksPerMinute,
            'S' => amount * TimeSpan.TicksPerSecond,
            'm' => amount * TimeSpan.TicksPerMillisecond,
            'u' => amount * TimeSpan.TicksPerMicrosecond,
            'n' => amount / 100,
            _ => -1L,
        };
        if (ticks < 0) return false;
        timeout = TimeSpan.FromTicks(ticks);
        return true;
    }

    /// <summary>Formats a timeout in the finest unit that fits in 8 digits, rounding up so a deadline is never shortened.</summary>
    public static string FormatTimeout(TimeSpan timeout)
    {
        const long max = 99_999_999;
        var ticks = Math.Max(0, timeout.Ticks);
        ReadOnlySpan<(long TicksPerUnit, char Unit)> units =
        [
            (TimeSpan.TicksPerMicrosecond, 'u'), (TimeSpan.TicksPerMillisecond, 'm'), (TimeSpan.TicksPerSecond, 'S'),
            (TimeSpan.TicksPerMinute, 'M'), (TimeSpan.TicksPerHour, 'H'),
        ];
        foreach (var (perUnit, unit) in units)
        {
            var amount = (ticks + perUnit - 1) / perUnit;
            if (amount <= max) return amount.ToString(CultureInfo.InvariantCulture) + unit;
        }
        return max.ToString(CultureInfo.InvariantCulture) + "H";
    }

    /// <summary>The status a client reports when an HTTP response carries no grpc-status (http-grpc-status-mapping.md).</summary>
    public static StatusCode FromHttpStatus(HttpStatusCode status) => (int)status switch
    {
        400 => StatusCode.Internal,
        401 => StatusCode.Unauthenticated,
        403 => StatusCode.PermissionDenied,
        404 => StatusCode.Unimplemented,
        429 or 502 or 503 or 504 => StatusCode.Unavailable,
        _ => StatusCode.Unknown,
    };
}
