using System.Text;
using Bunker.Client.Connection;
using Bunker.Protocol.Grpc;

namespace Bunker.Client.Commands;

/// <summary>A failed call as one line on stderr: <c>bunker: NOT_FOUND: message</c>, with a hint where the fix is on our side.</summary>
internal static class ErrorReport
{
    public static string Describe(Status status, Uri? server)
    {
        var line = new StringBuilder("bunker: ").Append(CanonicalName(status.StatusCode));
        if (status.Detail.Length > 0) line.Append(": ").Append(status.Detail);
        var hint = status.StatusCode switch
        {
            StatusCode.Unavailable when server is not null => $"is bunkerd running at {server.GetLeftPart(UriPartial.Authority)}? The server is set with --server or {ConnectionSettings.ServerVariable}.",
            StatusCode.Unauthenticated => $"check the token given with --token, --token-file, {ConnectionSettings.TokenVariable} or {ConnectionSettings.TokenFileVariable}.",
            _ => null,
        };
        if (hint is not null) line.Append("; ").Append(hint);
        return line.ToString();
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
