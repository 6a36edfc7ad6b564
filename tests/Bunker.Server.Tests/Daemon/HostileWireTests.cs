using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;
using Google.Protobuf;

namespace Bunker.Server.Tests.Daemon;

/// <summary>
/// Hand-made bodies sent to the real Backup and Admin methods on real Kestrel: every one gets a
/// gRPC status, nothing is stored, and the daemon keeps serving.
/// </summary>
public sealed class HostileWireTests : IAsyncLifetime
{
    private DaemonFixture _d = null!;
    private string _token = null!;

    public async Task InitializeAsync()
    {
        _d = await DaemonFixture.StartAsync(kestrel: true);
        _token = await _d.TenantWithRepositoryAsync("acme", "main", Role.Backup, Role.Restore);
    }

    public async Task DisposeAsync() => await _d.DisposeAsync();

    private async Task<(string? Status, string? Message)> SendAsync(byte[] body, string path = "/bunker.v1.Repository/Backup", string? token = null)
    {
        using var client = new HttpClient();
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/grpc");
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_d.Address, path))
        {
            Content = content, Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.TryAddWithoutValidation("te", "trailers");
        request.Headers.TryAddWithoutValidation("authorization", "Bearer " + (token ?? _token));
        using var response = await client.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        string? Get(string name) =>
            response.TrailingHeaders.TryGetValues(name, out var t) ? t.First()
            : response.Headers.TryGetValues(name, out var h) ? h.First() : null;
        return (Get("grpc-status"), Get("grpc-message"));
    }

    private static byte[] Frame(ReadOnlySpan<byte> message, int? claimedLength = null)
    {
        var frame = new byte[5 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)(claimedLength ?? message.Length));
        message.CopyTo(frame.AsSpan(5));
        return frame;
    }

    private static byte[] Start() => Frame(new BackupRequest { Start = new BackupStart { Repository = "main", SourceKind = "files", Host = "h" } }.ToByteArray());

    private async Task AssertNothingStoredAndStillServingAsync()
    {
        var client = _d.Repository();
        using var list = client.ListSnapshots(new ListSnapshotsRequest { Repository = "main" }, DaemonFixture.As(_token));
        Assert.False(await list.ResponseStream.MoveNext(CancellationToken.None));
        var hello = await client.HelloAsync(new HelloRequest { Repository = "main" }, DaemonFixture.As(_token));
        Assert.Equal("acme", hello.Tenant);
    }

    [Fact]
    public async Task A_truncated_frame_mid_session_is_an_error_status()
    {
        var put = new BackupRequest { Put = new PutChunks { Chunks = { SessionDriver.Encode(new byte[5000]) } } }.ToByteArray();
        var (status, _) = await SendAsync([.. Start(), .. Frame(put)[..^10]]);
        Assert.Equal(((int)StatusCode.Internal).ToString(), status);
        await AssertNothingStoredAndStillServingAsync();
    }

    [Fact]
    public async Task A_giant_length_prefix_is_resource_exhausted()
    {
        var (status, message) = await SendAsync([.. Start(), .. Frame([1, 2, 3], claimedLength: int.MaxValue)]);
        Assert.Equal(((int)StatusCode.ResourceExhausted).ToString(), status);
        Assert.NotNull(message);
        await AssertNothingStoredAndStillServingAsync();
    }

    [Fact]
    public async Task Garbage_protobuf_is_an_error_status()
    {
        var garbage = new byte[300];
        new Random(5).NextBytes(garbage);
        garbage[0] = 0xff; // an invalid tag
        foreach (var body in new[] { Frame(garbage), [.. Start(), .. Frame(garbage)] })
        {
            var (status, _) = await SendAsync(body);
            Assert.Equal(((int)StatusCode.Internal).ToString(), status);
        }
        var (adminStatus, _) = await SendAsync(Frame(garbage), "/bunker.v1.Admin/CreateTenant", _d.AdminToken);
        Assert.Equal(((int)StatusCode.Internal).ToString(), adminStatus);
        await AssertNothingStoredAndStillServingAsync();
        var tenants = await _d.Admin().ListTenantsAsync(new ListTenantsRequest(), DaemonFixture.As(_d.AdminToken));
        Assert.Equal(["acme", "system"], tenants.Tenants.Select(t => t.Name).Order());
    }

    [Fact]
    public async Task A_hostile_call_without_a_token_is_refused_before_its_body_is_read()
    {
        var (status, _) = await SendAsync(Frame([1, 2, 3], claimedLength: int.MaxValue), token: "nope");
        Assert.Equal(((int)StatusCode.Unauthenticated).ToString(), status);
    }
}
