using System.Net.Http;
using System.Security.Authentication;
using System.Text;
using Bunker.Client.Connection;
using Bunker.Protocol.Grpc;

namespace Bunker.Client.Commands;

/// <summary>A failed call as one line on stderr: <c>bunker: NOT_FOUND: message</c>, with a hint where the fix is on our side.</summary>
internal static class ErrorReport
{
    /// <param name="caCertificateFile">The CA file the connection trusted, if any: a refused certificate is explained against it.</param>
    public static string Describe(Status status, Uri? server, string? caCertificateFile = null)
    {
        if (status.StatusCode == StatusCode.Unavailable && Find<AuthenticationException>(status.DebugException) is { } handshake)
        {
            return DescribeHandshake(handshake, server, caCertificateFile);
        }
        var line = new StringBuilder("bunker: ").Append(CanonicalName(status.StatusCode));
        if (status.Detail.Length > 0) line.Append(": ").Append(status.Detail);
        var hint = status.StatusCode switch
        {
            StatusCode.Unavailable when server is not null && server.Scheme == Uri.UriSchemeHttp && AnsweredButNotH2c(status.DebugException) =>
                $"something answers at {server.GetLeftPart(UriPartial.Authority)} but not with HTTP/2 over plain TCP; if bunkerd serves TLS there, use https://.",
            StatusCode.Unavailable when server is not null => $"is bunkerd running at {server.GetLeftPart(UriPartial.Authority)}? The server is set with --server or {ConnectionSettings.ServerVariable}.",
            StatusCode.Unauthenticated => $"check the token given with --token, --token-file, {ConnectionSettings.TokenVariable} or {ConnectionSettings.TokenFileVariable}.",
            _ => null,
        };
        if (hint is not null) line.Append("; ").Append(hint);
        return line.ToString();
    }

    /// <summary>
    /// A failed TLS handshake. HttpClient says only "see inner exception"; the reason (an untrusted chain, a name
    /// mismatch) is in the AuthenticationException underneath, and the fix is usually --ca-cert.
    /// </summary>
    private static string DescribeHandshake(AuthenticationException e, Uri? server, string? caCertificateFile)
    {
        var where = server?.GetLeftPart(UriPartial.Authority) ?? "the server";
        var line = new StringBuilder("bunker: UNAVAILABLE: TLS handshake with ").Append(where).Append(" failed: ").Append(e.Message.TrimEnd('.'));
        if (!e.Message.Contains("certificate", StringComparison.OrdinalIgnoreCase))
        {
            line.Append("; does bunkerd serve TLS there? Without --tls-cert it serves plain http://.");
        }
        else if (caCertificateFile is null)
        {
            line.Append($"; the server's certificate is not trusted by this machine. If a private CA signed it, pass that CA's PEM file with --ca-cert or {ConnectionSettings.CaCertificateVariable}.");
        }
        else
        {
            line.Append($"; the server's certificate must chain to the CA in '{caCertificateFile}' (--ca-cert or {ConnectionSettings.CaCertificateVariable}) and name the host of the URL.");
        }
        return line.ToString();
    }

    /// <summary>
    /// The request got no response although a connection was made: the HTTP/2 preface met something that is not
    /// h2c, typically a TLS listener. Depending on timing SocketsHttpHandler reports that as InvalidResponse,
    /// ResponseEnded or Unknown; a refused or unresolved connection is ConnectionError or NameResolutionError.
    /// </summary>
    private static bool AnsweredButNotH2c(Exception? e) =>
        e is HttpRequestException
        {
            HttpRequestError: HttpRequestError.InvalidResponse or HttpRequestError.HttpProtocolError
                or HttpRequestError.ResponseEnded or HttpRequestError.Unknown,
        }
        && Find<System.Net.Sockets.SocketException>(e) is null;

    private static T? Find<T>(Exception? e) where T : Exception
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is T found) return found;
        }
        return null;
    }

    /// <summary>The status as gRPC documents name it (NOT_FOUND, not NotFound), which is what people search for.</summary>
    public static string CanonicalName(StatusCode code)
    {
        var name = code.ToString();
        var canonical = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i]) && char.IsLower(name[i - 1])) canonical.Append('_');
            canonical.Append(char.ToUpperInvariant(name[i]));
        }
        return canonical.ToString();
    }
}
