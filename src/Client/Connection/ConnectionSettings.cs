namespace Bunker.Client.Connection;

/// <summary>What the command line said about the connection; null where it said nothing.</summary>
public sealed record ConnectionFlags(
    string? Server = null,
    string? Token = null,
    string? TokenFile = null,
    string? Repository = null,
    string? CaCertificateFile = null);

/// <summary>
/// Where the server is, who we are, and which repository we mean. Each value comes from its flag, else its
/// environment variable, else a default; the environment is a lookup function so that tests need not touch the
/// process environment.
/// </summary>
public sealed record ConnectionSettings(Uri Server, string Token, string? Repository, string? CaCertificateFile)
{
    public const string DefaultServer = "http://127.0.0.1:7070";

    public const string ServerVariable = "BUNKER_SERVER";
    public const string TokenVariable = "BUNKER_TOKEN";
    public const string TokenFileVariable = "BUNKER_TOKEN_FILE";
    public const string RepositoryVariable = "BUNKER_REPOSITORY";
    public const string CaCertificateVariable = "BUNKER_CA_CERT";

    /// <summary>Resolves every setting; throws <see cref="UsageException"/> for a bad URL or a missing or unreadable token.</summary>
    public static ConnectionSettings Resolve(ConnectionFlags flags, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(flags);
        ArgumentNullException.ThrowIfNull(environment);
        string? Env(string name) => NullIfBlank(environment(name));

        var server = ParseServer(NullIfBlank(flags.Server) ?? Env(ServerVariable) ?? DefaultServer);
        var token = ResolveToken(flags, Env);
        var repository = NullIfBlank(flags.Repository) ?? Env(RepositoryVariable);
        var caCertificate = NullIfBlank(flags.CaCertificateFile) ?? Env(CaCertificateVariable);
        return new ConnectionSettings(server, token, repository, caCertificate);
    }

    /// <summary>Parses a server address: absolute http:// or https://, nothing after the port.</summary>
    public static Uri ParseServer(string value)
    {
        // "host:7070" parses as a URI with scheme "host", so the scheme check also catches a forgotten "http://".
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new UsageException($"server '{value}' (--server or {ServerVariable}) must be an absolute http:// or https:// URL, e.g. {DefaultServer}");
        }
        // Calls go to /package.Service/Method from the root, so a path would be silently dropped; say so instead.
        if (uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            throw new UsageException($"server '{value}' (--server or {ServerVariable}) must have no path, query or fragment");
        }
        return uri;
    }

    /// <summary>The token's first line, trimmed.</summary>
    public static string ReadTokenFile(string path)
    {
        string? firstLine;
        try
        {
            using var reader = new StreamReader(path);
            firstLine = reader.ReadLine();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new UsageException($"cannot read token file '{path}': {e.Message}");
        }
        return NullIfBlank(firstLine?.Trim()) ?? throw new UsageException($"token file '{path}' is empty");
    }

    // A flag beats any variable, so --token-file overrides BUNKER_TOKEN; among flags (or among variables) the
    // literal token beats the file, which is the more specific of the two the user could have meant.
    private static string ResolveToken(ConnectionFlags flags, Func<string, string?> env)
    {
        var token = NullIfBlank(flags.Token)
            ?? (NullIfBlank(flags.TokenFile) is { } flagFile ? ReadTokenFile(flagFile) : null)
            ?? env(TokenVariable)
            ?? (env(TokenFileVariable) is { } envFile ? ReadTokenFile(envFile) : null)
            ?? throw new UsageException(
                $"no token: pass --token or --token-file, or set {TokenVariable} or {TokenFileVariable} " +
                "(an admin creates one with 'bunker admin token create')");
        token = token.Trim();
        // The token travels in an HTTP header, which holds only printable ASCII.
        if (token.Any(c => c is < (char)0x21 or > (char)0x7E))
        {
            throw new UsageException("the token holds spaces or characters that cannot be sent in a header; check --token or " + TokenVariable);
        }
        return token;
    }

    /// <summary>Never shows the token: settings end up in logs and exception messages.</summary>
    public override string ToString() =>
        $"ConnectionSettings {{ Server = {Server}, Token = (hidden), Repository = {Repository}, CaCertificateFile = {CaCertificateFile} }}";

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
