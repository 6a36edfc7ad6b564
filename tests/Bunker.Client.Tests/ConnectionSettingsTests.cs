using Bunker.Client.Connection;

namespace Bunker.Client.Tests;

public sealed class ConnectionSettingsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("bunker-client-tests-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static ConnectionSettings Resolve(ConnectionFlags flags, Dictionary<string, string> environment) =>
        ConnectionSettings.Resolve(flags, name => environment.GetValueOrDefault(name));

    private static Dictionary<string, string> EveryVariable() => new()
    {
        ["BUNKER_SERVER"] = "https://env.example:7443",
        ["BUNKER_TOKEN"] = "env-token",
        ["BUNKER_REPOSITORY"] = "env-repo",
        ["BUNKER_CA_CERT"] = "/env/ca.pem",
    };

    private string WriteFile(string name, string content)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public void DefaultsApplyWhenNothingIsSet()
    {
        var settings = Resolve(new ConnectionFlags(Token: "t"), []);
        Assert.Equal(new Uri(ConnectionSettings.DefaultServer), settings.Server);
        Assert.Null(settings.Repository);
        Assert.Null(settings.CaCertificateFile);
    }

    [Fact]
    public void EnvironmentBeatsDefaults()
    {
        var settings = Resolve(new ConnectionFlags(), EveryVariable());
        Assert.Equal(new Uri("https://env.example:7443"), settings.Server);
        Assert.Equal("env-token", settings.Token);
        Assert.Equal("env-repo", settings.Repository);
        Assert.Equal("/env/ca.pem", settings.CaCertificateFile);
    }

    [Fact]
    public void FlagsBeatEnvironment()
    {
        var settings = Resolve(
            new ConnectionFlags("http://flag.example:1", "flag-token", null, "flag-repo", "/flag/ca.pem"),
            EveryVariable());
        Assert.Equal(new Uri("http://flag.example:1"), settings.Server);
        Assert.Equal("flag-token", settings.Token);
        Assert.Equal("flag-repo", settings.Repository);
        Assert.Equal("/flag/ca.pem", settings.CaCertificateFile);
    }

    [Fact]
    public void BlankValuesCountAsUnset()
    {
        var settings = Resolve(new ConnectionFlags(Server: " ", Repository: ""), new() { ["BUNKER_TOKEN"] = "t", ["BUNKER_SERVER"] = "" });
        Assert.Equal(new Uri(ConnectionSettings.DefaultServer), settings.Server);
        Assert.Null(settings.Repository);
    }

    [Fact]
    public void TokenFileGivesItsFirstLineTrimmed()
    {
        var path = WriteFile("token", "  bkr_abc123  \r\nsecond line is ignored\n");
        Assert.Equal("bkr_abc123", Resolve(new ConnectionFlags(TokenFile: path), []).Token);
        Assert.Equal("bkr_abc123", Resolve(new ConnectionFlags(), new() { ["BUNKER_TOKEN_FILE"] = path }).Token);
    }

    [Fact]
    public void TokenSourcesRankFlagsFirstThenTheLiteralTokenBeforeTheFile()
    {
        var flagFile = WriteFile("flag-token", "from-flag-file\n");
        var envFile = WriteFile("env-token", "from-env-file\n");
        var environment = new Dictionary<string, string> { ["BUNKER_TOKEN"] = "from-env", ["BUNKER_TOKEN_FILE"] = envFile };

        Assert.Equal("from-flag", Resolve(new ConnectionFlags(Token: "from-flag", TokenFile: flagFile), environment).Token);
        Assert.Equal("from-flag-file", Resolve(new ConnectionFlags(TokenFile: flagFile), environment).Token);
        Assert.Equal("from-env", Resolve(new ConnectionFlags(), environment).Token);
        environment.Remove("BUNKER_TOKEN");
        Assert.Equal("from-env-file", Resolve(new ConnectionFlags(), environment).Token);
    }

    [Fact]
    public void EmptyOrMissingTokenFileIsAUsageError()
    {
        var empty = WriteFile("empty", "\n\n");
        var e = Assert.Throws<UsageException>(() => Resolve(new ConnectionFlags(TokenFile: empty), []));
        Assert.Contains("empty", e.Message);

        var missing = Path.Combine(_directory, "absent");
        e = Assert.Throws<UsageException>(() => Resolve(new ConnectionFlags(TokenFile: missing), []));
        Assert.Contains(missing, e.Message);
    }

    [Fact]
    public void MissingTokenNamesTheFlagAndTheVariable()
    {
        var e = Assert.Throws<UsageException>(() => Resolve(new ConnectionFlags(), []));
        Assert.Contains("--token", e.Message);
        Assert.Contains("BUNKER_TOKEN", e.Message);
        Assert.Contains("BUNKER_TOKEN_FILE", e.Message);
    }

    [Fact]
    public void TokenThatCannotTravelInAHeaderIsRejected()
    {
        Assert.Throws<UsageException>(() => Resolve(new ConnectionFlags(Token: "two words"), []));
        Assert.Throws<UsageException>(() => Resolve(new ConnectionFlags(Token: "caf\u00e9"), []));
    }

    [Theory]
    [InlineData("localhost:7070")]     // parses with scheme "localhost"
    [InlineData("127.0.0.1:7070")]
    [InlineData("ftp://host:21")]
    [InlineData("/relative/path")]
    [InlineData("http://host:7070/prefix")]
    [InlineData("http://host:7070/?q=1")]
    [InlineData("not a url")]
    public void BadServerUrlIsAUsageErrorNamingTheSetting(string server)
    {
        var e = Assert.Throws<UsageException>(() => Resolve(new ConnectionFlags(Server: server, Token: "t"), []));
        Assert.Contains("BUNKER_SERVER", e.Message);
    }

    [Theory]
    [InlineData("http://127.0.0.1:7070")]
    [InlineData("http://127.0.0.1:7070/")]
    [InlineData("https://bunker.example.org")]
    [InlineData("http://[::1]:7070")]
    public void GoodServerUrlsParse(string server) =>
        Assert.Equal(new Uri(server), ConnectionSettings.ParseServer(server));

    [Fact]
    public void ToStringHidesTheToken()
    {
        var text = Resolve(new ConnectionFlags(Token: "bkr_secret_value"), []).ToString();
        Assert.DoesNotContain("bkr_secret_value", text);
        Assert.Contains(ConnectionSettings.DefaultServer, text);
    }
}
