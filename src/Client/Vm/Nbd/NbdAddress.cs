using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Bunker.Client.Vm.Nbd;

/// <summary>
/// Where an NBD export is: a TCP host and port, or a unix socket, and the export's name. Written as the NBD URI
/// scheme has it: <c>nbd://HOST[:PORT]/NAME</c> or <c>nbd+unix:///NAME?socket=PATH</c>.
/// </summary>
internal sealed record NbdAddress(string? Host, int Port, string? SocketPath, string ExportName)
{
    public bool IsUnix => SocketPath is not null;

    public EndPoint EndPoint => IsUnix ? new UnixDomainSocketEndPoint(SocketPath!) : Host switch
    {
        _ when IPAddress.TryParse(Host, out var ip) => new IPEndPoint(ip, Port),
        _ => new DnsEndPoint(Host!, Port),
    };

    public AddressFamily Family => EndPoint switch
    {
        UnixDomainSocketEndPoint => AddressFamily.Unix,
        IPEndPoint ip => ip.AddressFamily,
        _ => AddressFamily.Unspecified,
    };

    public override string ToString()
    {
        string name = Uri.EscapeDataString(ExportName);
        if (IsUnix) return $"nbd+unix:///{name}?socket={SocketPath}";
        string host = Host!.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host!;
        return string.Create(CultureInfo.InvariantCulture, $"nbd://{host}:{Port}/{name}");
    }

    /// <summary>Parses an NBD URI. TLS (nbds://) is refused: bunker's NBD client speaks plain NBD only.</summary>
    /// <exception cref="FormatException">Not an NBD URI bunker can use, with the reason.</exception>
    public static NbdAddress Parse(string uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (uri.StartsWith("nbds://", StringComparison.Ordinal) || uri.StartsWith("nbds+", StringComparison.Ordinal))
            throw new FormatException("NBD over TLS (nbds) is not supported; serve the export on a unix socket or a trusted network");
        if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsed))
            throw new FormatException("not a URI; an NBD export is nbd://HOST[:PORT]/NAME or nbd+unix:///NAME?socket=PATH");
        string name = ExportNameOf(parsed);
        switch (parsed.Scheme)
        {
            case "nbd":
            case "nbd+tcp":
                if (parsed.Host.Length == 0) throw new FormatException("an nbd:// URI needs a host");
                if (parsed.Query.Length > 0) throw new FormatException($"nbd:// takes no query ('{parsed.Query}')");
                return new NbdAddress(parsed.Host.Trim('[', ']'), parsed.IsDefaultPort || parsed.Port < 0 ? NbdProtocol.DefaultPort : parsed.Port, null, name);
            case "nbd+unix":
                if (parsed.Host.Length > 0) throw new FormatException("an nbd+unix URI has no host: nbd+unix:///NAME?socket=PATH");
                string? socket = null;
                foreach (var part in parsed.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
                {
                    int eq = part.IndexOf('=', StringComparison.Ordinal);
                    string key = eq < 0 ? part : part[..eq];
                    if (key != "socket") throw new FormatException($"unknown query parameter '{key}'; nbd+unix takes socket=PATH");
                    socket = Uri.UnescapeDataString(eq < 0 ? "" : part[(eq + 1)..]);
                }
                if (string.IsNullOrEmpty(socket)) throw new FormatException("an nbd+unix URI needs ?socket=PATH");
                return new NbdAddress(null, 0, socket, name);
            default:
                throw new FormatException($"scheme '{parsed.Scheme}' is not NBD; use nbd:// or nbd+unix://");
        }
    }

    /// <summary>
    /// Parses where <c>vm serve</c> listens: <c>unix:PATH</c>, or <c>HOST:PORT</c> with HOST an IP address,
    /// <c>localhost</c>, or <c>*</c> for every address.
    /// </summary>
    public static NbdAddress ParseListen(string listen, string exportName)
    {
        ArgumentNullException.ThrowIfNull(listen);
        if (listen.StartsWith("unix:", StringComparison.Ordinal))
        {
            string path = listen["unix:".Length..];
            if (path.Length == 0) throw new FormatException("unix: needs a socket path");
            return new NbdAddress(null, 0, Path.GetFullPath(path), exportName);
        }
        int colon = listen.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(listen.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 0 or > 65535)
            throw new FormatException($"'{listen}' is not HOST:PORT or unix:PATH");
        string host = listen[..colon].Trim('[', ']');
        host = host switch
        {
            "*" => "0.0.0.0",
            "localhost" => "127.0.0.1",
            _ when IPAddress.TryParse(host, out _) => host,
            _ => throw new FormatException($"'{host}' is not an IP address, localhost or *"),
        };
        return new NbdAddress(host, port, null, exportName);
    }

    private static string ExportNameOf(Uri uri)
    {
        string path = uri.AbsolutePath;
        string name = Uri.UnescapeDataString(path.StartsWith('/') ? path[1..] : path);
        if (name.Length > NbdProtocol.MaxString) throw new FormatException($"the export name is longer than {NbdProtocol.MaxString} bytes");
        if (name.Contains('\0', StringComparison.Ordinal)) throw new FormatException("the export name holds a NUL");
        return name;
    }
}
