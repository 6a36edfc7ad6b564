using Bunker.Chunking;
using Bunker.Index;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;
using Google.Protobuf;

namespace Bunker.Server.Tests.Daemon;

/// <summary>Invariant 4: another tenant's repository, snapshot or chunk looks exactly like one that does not exist.</summary>
public sealed class TenancyTests : IAsyncLifetime
{
    private DaemonFixture _d = null!;
    private string _acme = null!;
    private string _globex = null!;
    private SnapshotInfo _globexSnapshot = null!;
    private List<byte[]> _globexChunks = null!;

    public async Task InitializeAsync()
    {
        _d = await DaemonFixture.StartAsync();
        _acme = await _d.TenantWithRepositoryAsync("acme", "main", Role.Backup, Role.Restore, Role.Operator);
        _globex = await _d.TenantWithRepositoryAsync("globex", "vault", Role.Backup, Role.Restore);
        _globexChunks = Chunks.Random(4, seed: 21);
        await using var session = await SessionDriver.StartAsync(_d.Repository(), DaemonFixture.As(_globex), "vault");
        await session.AddArchiveAsync("payload", _globexChunks);
        _globexSnapshot = await session.CommitAsync();
    }

    public async Task DisposeAsync() => await _d.DisposeAsync();

    private static async Task<Status> StatusOf(Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<RpcException>(call);
        return e.Status;
    }

    [Fact]
    public async Task Another_tenants_repository_is_indistinguishable_from_a_missing_one()
    {
        var client = _d.Repository();
        var options = DaemonFixture.As(_acme);
        var theirs = await StatusOf(() => client.HelloAsync(new HelloRequest { Repository = "vault" }, options).ResponseAsync);
        var none = await StatusOf(() => client.HelloAsync(new HelloRequest { Repository = "zzzzz" }, options).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, theirs.StatusCode);
        Assert.Equal(none.Detail.Replace("zzzzz", "vault"), theirs.Detail);

        var listTheirs = await StatusOf(async () => { using var c = client.ListSnapshots(new ListSnapshotsRequest { Repository = "vault" }, options); await c.ResponseStream.MoveNext(CancellationToken.None); });
        Assert.Equal(StatusCode.NotFound, listTheirs.StatusCode);
        var startTheirs = await StatusOf(() => SessionDriver.StartAsync(client, options, "vault"));
        Assert.Equal(theirs, startTheirs);
    }

    [Fact]
    public async Task Another_tenants_snapshot_and_chunks_are_not_found_in_ones_own_repository()
    {
        var client = _d.Repository();
        var options = DaemonFixture.As(_acme);
        var theirSnapshot = await StatusOf(() => client.GetSnapshotAsync(new GetSnapshotRequest { Repository = "main", Snapshot = Convert.ToHexStringLower(_globexSnapshot.Id.Span) }, options).ResponseAsync);
        var noSnapshot = await StatusOf(() => client.GetSnapshotAsync(new GetSnapshotRequest { Repository = "main", Snapshot = new string('0', 64) }, options).ResponseAsync);
        Assert.Equal(noSnapshot, theirSnapshot);

        var theirChunk = ChunkDigest.Compute(_globexChunks[0]);
        var random = ChunkDigest.Compute([9, 9, 9]);
        var readTheirs = await StatusOf(() => SessionDriver.ReadBackAsync(client, options, "main", [theirChunk]));
        var readRandom = await StatusOf(() => SessionDriver.ReadBackAsync(client, options, "main", [random]));
        Assert.Equal(StatusCode.NotFound, readTheirs.StatusCode);
        Assert.Equal(readRandom.Detail.Replace(random.ToString(), "X"), readTheirs.Detail.Replace(theirChunk.ToString(), "X"));

        var index = await StatusOf(async () =>
        {
            using var c = client.ReadArchiveIndex(new ReadArchiveIndexRequest { Repository = "main", SnapshotId = _globexSnapshot.Id, Archive = "payload" }, options);
            await c.ResponseStream.MoveNext(CancellationToken.None);
        });
        Assert.Equal(StatusCode.NotFound, index.StatusCode);
        var delete = await StatusOf(() => client.DeleteSnapshotAsync(new DeleteSnapshotRequest { Repository = "main", SnapshotId = _globexSnapshot.Id }, options).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, delete.StatusCode);
        Assert.Single(await ListAsync(_globex, "vault"));
    }

    [Fact]
    public async Task An_offer_never_reveals_that_another_tenant_holds_a_chunk()
    {
        await using var session = await SessionDriver.StartAsync(_d.Repository(), DaemonFixture.As(_acme), "main");
        var missing = await session.OfferAsync(_globexChunks.Select(c => ChunkDigest.Compute(c)).ToList());
        Assert.All(missing, Assert.True);
    }

    [Fact]
    public async Task A_token_scoped_to_one_repository_cannot_reach_another_of_its_tenant()
    {
        await _d.Admin().CreateRepositoryAsync(new CreateRepositoryRequest { Tenant = "acme", Name = "second" }, DaemonFixture.As(_d.AdminToken));
        string scoped = await _d.TokenAsync("acme", "main", Role.Restore);
        var client = _d.Repository();
        var hello = await client.HelloAsync(new HelloRequest(), DaemonFixture.As(scoped));
        Assert.Equal("main", hello.RepositoryScope);
        Assert.Equal(["main"], hello.Repositories);
        var other = await StatusOf(() => client.HelloAsync(new HelloRequest { Repository = "second" }, DaemonFixture.As(scoped)).ResponseAsync);
        var none = await StatusOf(() => client.HelloAsync(new HelloRequest { Repository = "zzzzzz" }, DaemonFixture.As(scoped)).ResponseAsync);
        Assert.Equal(none.Detail.Replace("zzzzzz", "second"), other.Detail);
        var unscoped = await client.HelloAsync(new HelloRequest { Repository = "second" }, DaemonFixture.As(_acme));
        Assert.Equal(16, unscoped.RepositoryId.Length);
    }

    private async Task<List<SnapshotInfo>> ListAsync(string token, string repository)
    {
        var list = new List<SnapshotInfo>();
        using var call = _d.Repository().ListSnapshots(new ListSnapshotsRequest { Repository = repository }, DaemonFixture.As(token));
        while (await call.ResponseStream.MoveNext(CancellationToken.None)) list.Add(call.ResponseStream.Current);
        return list;
    }
}
