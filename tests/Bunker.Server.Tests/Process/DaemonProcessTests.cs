using System.Text.Json;
using Bunker.Chunking;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;
using Bunker.Server.Tests.Daemon;
using Bunker.Tests.Shared;

namespace Bunker.Server.Tests.Process;

/// <summary>The real bunkerd process: start-up, configuration, an independent gRPC client, and SIGTERM.</summary>
public sealed class DaemonProcessTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("bunkerd-proc-").FullName;
    private string Data => Path.Combine(_root, "data");

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task First_start_writes_the_admin_token_0600_and_logs_its_path_but_never_the_token()
    {
        await using var daemon = await DaemonProcess.StartAsync(Data);
        string token = daemon.AdminToken;
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(Data, "admin.token")));
        Assert.Equal(0, await daemon.TerminateAsync());
        Assert.Contains(Path.GetFullPath(Path.Combine(Data, "admin.token")), daemon.Output);
        Assert.DoesNotContain(token, daemon.Output);
        Assert.DoesNotContain(token[4..20], daemon.Output);
    }

    [Fact]
    public async Task Node_grpc_js_drives_hello_a_whole_backup_a_restore_read_health_and_the_error_statuses()
    {
        string dir = await ExternalTools.InteropDirectoryAsync();
        await using var daemon = await DaemonProcess.StartAsync(Data);
        var (code, output) = await ExternalTools.RunAsync("node", ["bunkerd.js", daemon.Target, daemon.AdminToken], dir, TimeSpan.FromSeconds(90));
        Assert.True(code == 0, output + "\n--- bunkerd ---\n" + daemon.Output);
        using var json = JsonDocument.Parse(output.Split('\n').First(l => l.StartsWith('{')));
        var root = json.RootElement;

        Assert.Equal("SERVING", root.GetProperty("health").GetProperty("status").GetString());
        Assert.Equal((int)StatusCode.Unauthenticated, root.GetProperty("unauthenticated").GetProperty("code").GetInt32());
        var hello = root.GetProperty("hello");
        Assert.Equal(0, hello.GetProperty("code").GetInt32());
        Assert.Equal("nodeco", hello.GetProperty("tenant").GetString());
        Assert.Equal(16, hello.GetProperty("repositoryIdLength").GetInt32());
        Assert.Equal((int)StatusCode.PermissionDenied, root.GetProperty("permissionDenied").GetProperty("code").GetInt32());
        Assert.Equal((int)StatusCode.NotFound, root.GetProperty("notFound").GetProperty("code").GetInt32());

        var backup = root.GetProperty("backup");
        Assert.Equal(0, backup.GetProperty("code").GetInt32());
        Assert.Equal(3, backup.GetProperty("missingCount").GetInt32());
        Assert.Equal("7", backup.GetProperty("requestId").GetString());
        Assert.Equal(64, backup.GetProperty("snapshotId").GetString()!.Length);
        Assert.Equal("175000", backup.GetProperty("size").GetString());
        var again = root.GetProperty("again");
        Assert.Equal(0, again.GetProperty("code").GetInt32());
        Assert.Equal(0, again.GetProperty("missingCount").GetInt32());

        var read = root.GetProperty("read");
        Assert.Equal(0, read.GetProperty("code").GetInt32());
        Assert.Equal(3, read.GetProperty("count").GetInt32());
        Assert.True(read.GetProperty("matches").GetBoolean());

        Assert.Equal((int)StatusCode.DeadlineExceeded, root.GetProperty("deadlineExceeded").GetProperty("code").GetInt32());
        Assert.Equal((int)StatusCode.ResourceExhausted, root.GetProperty("resourceExhausted").GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task Sigterm_aborts_open_sessions_cleanly_and_keeps_their_uploads()
    {
        var daemon = await DaemonProcess.StartAsync(Data);
        await using (daemon)
        {
            using var channel = GrpcChannel.ForAddress(daemon.Address);
            var admin = new Admin.AdminClient(channel);
            var asAdmin = DaemonFixture.As(daemon.AdminToken);
            await admin.CreateTenantAsync(new CreateTenantRequest { Name = "acme" }, asAdmin);
            await admin.CreateRepositoryAsync(new CreateRepositoryRequest { Tenant = "acme", Name = "main" }, asAdmin);
            string token = (await admin.CreateTokenAsync(new CreateTokenRequest { Tenant = "acme", Roles = { Role.Backup } }, asAdmin)).Token;
            var client = new Repository.RepositoryClient(channel);

            var chunks = Chunks.Random(6, seed: 31);
            var session = await SessionDriver.StartAsync(client, DaemonFixture.As(token), "main");
            await session.OfferAsync(chunks.ConvertAll(c => ChunkDigest.Compute(c)));
            foreach (var chunk in chunks) await session.PutAsync(chunk);
            await session.AppendAsync("payload", chunks.ConvertAll(c => (ChunkDigest.Compute(c), c.Length)));
            await session.OfferAsync([ChunkDigest.Compute(chunks[0])]);

            var exit = daemon.TerminateAsync();
            var e = await Assert.ThrowsAsync<RpcException>(() => session.NextAsync());
            Assert.Equal(StatusCode.Unavailable, e.StatusCode);
            Assert.Contains("shutting down", e.Status.Detail);
            Assert.Equal(0, await exit);
            await session.DisposeAsync();
        }

        await using var again = await DaemonProcess.StartAsync(Data);
        using var channel2 = GrpcChannel.ForAddress(again.Address);
        var admin2 = new Admin.AdminClient(channel2);
        string token2 = (await admin2.CreateTokenAsync(new CreateTokenRequest { Tenant = "acme", Roles = { Role.Backup } }, DaemonFixture.As(again.AdminToken))).Token;
        var client2 = new Repository.RepositoryClient(channel2);
        using (var list = client2.ListSnapshots(new ListSnapshotsRequest { Repository = "main" }, DaemonFixture.As(token2)))
            Assert.False(await list.ResponseStream.MoveNext(CancellationToken.None));
        await using var retry = await SessionDriver.StartAsync(client2, DaemonFixture.As(token2), "main");
        var missing = await retry.OfferAsync(Chunks.Random(6, seed: 31).ConvertAll(c => ChunkDigest.Compute(c)));
        Assert.All(missing, Assert.False);
    }

    [Fact]
    public async Task Configuration_comes_from_a_file_then_the_environment_then_arguments()
    {
        int filePort = DaemonProcess.FreePort(), envPort = DaemonProcess.FreePort();
        string config = Path.Combine(_root, "bunkerd.json");
        File.WriteAllText(config, $$"""{ "Listen": "127.0.0.1:{{filePort}}", "MaxSessions": 3 }""");
        await using (var fromFile = await DaemonProcess.StartOnAsync(Data, filePort, null, "--config", config))
            Assert.Equal(filePort, fromFile.Port);
        // Arguments beat the environment, which beats the file.
        int argPort = DaemonProcess.FreePort();
        await using (var fromArgs = await DaemonProcess.StartOnAsync(Data, argPort, new Dictionary<string, string> { ["BUNKER_LISTEN"] = $"127.0.0.1:{envPort}" },
                         "--config", config, "--listen", $"127.0.0.1:{argPort}"))
            Assert.Equal(argPort, fromArgs.Port);
        var env = new Dictionary<string, string> { ["BUNKER_LISTEN"] = $"127.0.0.1:{envPort}", ["BUNKER_DATA"] = Data };
        await using (var fromEnv = await DaemonProcess.StartOnAsync(Data, envPort, env, "--config", config))
        {
            using var channel = GrpcChannel.ForAddress(fromEnv.Address);
            var hello = await new Repository.RepositoryClient(channel).HelloAsync(new HelloRequest(), DaemonFixture.As(fromEnv.AdminToken));
            Assert.Equal("system", hello.Tenant);
        }
    }

    [Theory]
    [InlineData("--listen", "nonsense")]
    [InlineData("--listen", "127.0.0.1:99999")]
    [InlineData("--bogus", "1")]
    [InlineData("--tls-cert", "/nonexistent.pem")]
    [InlineData("--max-sessions", "zero")]
    public async Task Bad_arguments_stop_start_up_with_a_clear_message(string name, string value)
    {
        var (code, output) = await DaemonProcess.RunToExitAsync(null, "--data", Data, name, value);
        Assert.Equal(2, code);
        Assert.StartsWith("bunkerd: ", output.Trim());
        Assert.DoesNotContain("   at ", output);
    }

    [Fact]
    public async Task A_malformed_configuration_file_stops_start_up_with_a_clear_message()
    {
        string config = Path.Combine(_root, "broken.json");
        File.WriteAllText(config, "{ \"Listen\": ");
        var (code, output) = await DaemonProcess.RunToExitAsync(null, "--data", Data, "--config", config);
        Assert.Equal(2, code);
        Assert.Contains("broken.json", output);
        Assert.DoesNotContain("   at ", output);
    }

    [Theory]
    [InlineData("{\"Stores\": {\"x\": {\"Type\": \"ftp\"}}}", "store 'x': Type must be local, s3, fallback or tiered")]
    [InlineData("{\"Stores\": {\"x\": {\"Type\": \"s3\"}}}", "store 'x': an s3 store needs Bucket")]
    [InlineData("{\"Stores\": {\"x\": {\"Type\": \"s3\", \"Bucket\": \"b\", \"Endpoint\": \"ftp://h\"}}}", "Endpoint must be an http:// or https:// URL")]
    [InlineData("{\"Stores\": {\"x\": {\"Type\": \"s3\", \"Bucket\": \"b\", \"AccessKey\": \"k\"}}}", "give both AccessKey and SecretKey")]
    [InlineData("{\"Stores\": {\"f\": {\"Type\": \"fallback\", \"Members\": [\"local\"]}}}", "needs at least two Members")]
    [InlineData("{\"Stores\": {\"f\": {\"Type\": \"fallback\", \"Members\": [\"local\", \"nowhere\"]}}}", "member 'nowhere' is not a configured store")]
    [InlineData("{\"Stores\": {\"f\": {\"Type\": \"fallback\", \"Members\": [\"local\", \"g\"]}, \"g\": {\"Type\": \"fallback\", \"Members\": [\"local\", \"f\"]}}}", "appears twice in it")]
    [InlineData("{\"Stores\": {\"t\": {\"Type\": \"tiered\", \"Hot\": \"local\", \"Cold\": \"local\"}}}", "Hot and Cold must be different stores")]
    [InlineData("{\"DefaultStore\": \"elsewhere\"}", "DefaultStore 'elsewhere' is not one of the stores")]
    [InlineData("{\"RepositoryStores\": {\"acme/main\": \"elsewhere\"}}", "names store 'elsewhere', which is not configured")]
    [InlineData("{\"Stores\": {\"Bad Name\": {\"Type\": \"local\", \"Path\": \"/x\"}}}", "store name 'Bad Name' must be")]
    public async Task A_bad_store_configuration_stops_start_up_with_a_clear_message(string json, string message)
    {
        string config = Path.Combine(_root, $"stores-{Guid.NewGuid():N}.json");
        File.WriteAllText(config, json);
        var (code, output) = await DaemonProcess.RunToExitAsync(null, "--data", Data, "--config", config);
        Assert.Equal(2, code);
        Assert.Contains(message, output);
        Assert.DoesNotContain("   at ", output);
        Assert.False(Directory.Exists(Path.Combine(Data, "index")), "nothing is made before the configuration is known to be good");
    }

    [Fact]
    public async Task Recover_refuses_a_data_directory_that_is_not_empty_and_bad_arguments()
    {
        string config = Path.Combine(_root, "recover.json");
        File.WriteAllText(config, "{}");
        Directory.CreateDirectory(Data);
        File.WriteAllText(Path.Combine(Data, "something"), "x");
        var (code, output) = await DaemonProcess.RunToExitAsync(null, "recover", "--store", config, "--master-key", "/nonexistent", "--data", Data);
        Assert.Equal(2, code);
        Assert.Contains("is not empty", output);
        (code, output) = await DaemonProcess.RunToExitAsync(null, "recover", "--store", config);
        Assert.Equal(2, code);
        Assert.Contains("usage: bunkerd recover", output);
        (code, output) = await DaemonProcess.RunToExitAsync(null, "recover", "--store", config, "--master-key", "/nonexistent", "--data", Path.Combine(_root, "new"), "--store-name", "nope");
        Assert.Equal(2, code);
        Assert.Contains("store 'nope' is not defined", output);
    }

    [Fact]
    public async Task The_environment_admin_token_works_and_no_file_is_written()
    {
        string token = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
        await using var daemon = await DaemonProcess.StartAsync(Data, new Dictionary<string, string> { ["BUNKER_ADMIN_TOKEN"] = token });
        using var channel = GrpcChannel.ForAddress(daemon.Address);
        var created = await new Admin.AdminClient(channel).CreateTenantAsync(new CreateTenantRequest { Name = "acme" }, DaemonFixture.As(token));
        Assert.Equal("acme", created.Name);
        Assert.False(File.Exists(Path.Combine(Data, "admin.token")));
    }
}
