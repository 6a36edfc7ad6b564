using Bunker.Index;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;
using Google.Protobuf;

namespace Bunker.Server.Tests.Daemon;

[CollectionDefinition(nameof(LoadTests), DisableParallelization = true)]
public sealed class LoadTestsCollection;

/// <summary>
/// Many sessions at once, limits, and HTTP/2 flow control pushing back on a client that does not
/// read. Alone in a collection that runs after the others, so memory figures are this class's own.
/// </summary>
[Collection(nameof(LoadTests))]
public sealed class LoadTests
{
    [Fact]
    public async Task Thirty_two_concurrent_sessions_from_one_process_all_commit_with_bounded_memory()
    {
        await using var d = await DaemonFixture.StartAsync(kestrel: true);
        string token = await d.TenantWithRepositoryAsync("acme", "main", Role.Backup, Role.Restore);
        var shared = Chunks.Random(8, seed: 100, minSize: 20_000, maxSize: 60_000);
        using var channel = d.Channel();
        var client = new Repository.RepositoryClient(channel);

        async Task<SnapshotInfo> OneAsync(int i)
        {
            var own = Chunks.Random(24, seed: 1000 + i, minSize: 20_000, maxSize: 120_000);
            await using var session = await SessionDriver.StartAsync(client, DaemonFixture.As(token, timeout: TimeSpan.FromMinutes(3)), "main", host: $"host-{i}");
            await session.AddArchiveAsync("payload", [.. shared, .. own]);
            return await session.CommitAsync();
        }

        // Two rounds of 32 sessions, about 80 MB each. (This test found ArrayPool.Shared holding
        // ~800 MiB of idle pack buffers; see LargeBufferPool.) Whatever pools warm up in the first round
        // (Kestrel's blocks, ArrayPool buckets) is reused by the second: a leak per session or per
        // chunk would show as growth between the rounds.
        long[] heaps = new long[2];
        for (int round = 0; round < 2; round++)
        {
            var results = await Task.WhenAll(Enumerable.Range(round * 32, 32).Select(OneAsync));
            Assert.Equal(32, results.Select(r => r.Id).Distinct().Count());
            for (int i = 0; i < 100 && d.Daemon.Sessions.OpenCount > 0; i++) await Task.Delay(20);
            Assert.Equal(0, d.Daemon.Sessions.OpenCount);
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            heaps[round] = GC.GetTotalMemory(forceFullCollection: true);
        }

        var listed = 0;
        using (var list = client.ListSnapshots(new ListSnapshotsRequest { Repository = "main" }, DaemonFixture.As(token)))
            while (await list.ResponseStream.MoveNext(CancellationToken.None)) listed++;
        Assert.Equal(64, listed);
        Assert.True(heaps[1] < heaps[0] + (32L << 20), $"managed heap grew from {heaps[0] >> 20} MiB to {heaps[1] >> 20} MiB between two equal rounds");
        Assert.True(heaps[1] < 256L << 20, $"managed heap after 64 sessions: {heaps[1] >> 20} MiB (after 32: {heaps[0] >> 20} MiB)");
    }

    [Fact]
    public async Task Sessions_beyond_the_limit_are_resource_exhausted_and_the_next_one_after_a_close_works()
    {
        await using var d = await DaemonFixture.StartAsync(configure: o => o.MaxSessions = 2);
        string token = await d.TenantWithRepositoryAsync("acme", "main", Role.Backup);
        var client = d.Repository();
        await using var first = await SessionDriver.StartAsync(client, DaemonFixture.As(token), "main");
        var second = await SessionDriver.StartAsync(client, DaemonFixture.As(token), "main");
        var e = await Assert.ThrowsAsync<RpcException>(() => SessionDriver.StartAsync(client, DaemonFixture.As(token), "main"));
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        await second.Requests.WriteAsync(new BackupRequest { Abort = new AbortBackup() });
        await second.NextAsync();
        await second.DisposeAsync();
        for (int i = 0; i < 100 && d.Daemon.Sessions.OpenCount > 1; i++) await Task.Delay(10);
        await using var third = await SessionDriver.StartAsync(client, DaemonFixture.As(token), "main");
        Assert.NotEmpty(third.Started.SessionId);
    }

    [Fact]
    public async Task A_session_that_touches_more_distinct_chunks_than_allowed_is_resource_exhausted()
    {
        await using var d = await DaemonFixture.StartAsync(configure: o => o.MaxSessionDigests = 1024);
        string token = await d.TenantWithRepositoryAsync("acme", "main", Role.Backup);
        await using var session = await SessionDriver.StartAsync(d.Repository(), DaemonFixture.As(token), "main");
        var put = new PutChunks();
        for (int i = 0; i < 1025; i++) put.Chunks.Add(SessionDriver.Encode(BitConverter.GetBytes(i), compress: false));
        await session.Requests.WriteAsync(new BackupRequest { Put = put });
        await session.Requests.WriteAsync(new BackupRequest { Commit = new CommitSnapshot() });
        var e = await Assert.ThrowsAsync<RpcException>(() => session.NextAsync());
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Contains("split the backup", e.Status.Detail);
    }

    [Fact]
    public async Task A_client_that_stops_reading_is_stopped_by_flow_control_and_resumes_when_it_reads()
    {
        await using var d = await DaemonFixture.StartAsync(kestrel: true);
        string token = await d.TenantWithRepositoryAsync("acme", "main", Role.Backup);
        using var channel = d.Channel();
        var client = new Repository.RepositoryClient(channel);
        await using var session = await SessionDriver.StartAsync(client, DaemonFixture.As(token, timeout: TimeSpan.FromMinutes(2)), "main");

        // Offers of 65,536 digests are 2 MiB each; 200 of them are 400 MiB the server would have
        // to buffer if nothing pushed back.
        const int Offers = 200;
        var digests = new byte[65_536 * 32];
        new Random(3).NextBytes(digests);
        var offer = new BackupRequest { Offer = new OfferDigests { Digests = ByteString.CopyFrom(digests) } };
        int written = 0;
        var writer = Task.Run(async () =>
        {
            for (int i = 0; i < Offers; i++)
            {
                await session.Requests.WriteAsync(offer);
                Interlocked.Increment(ref written);
            }
        });

        // Wait until the writer makes no progress for a while: it is blocked by flow control.
        int last = -1;
        for (int quiet = 0; quiet < 10 && !writer.IsCompleted;)
        {
            await Task.Delay(200);
            int now = Volatile.Read(ref written);
            quiet = now == last ? quiet + 1 : 0;
            last = now;
        }
        Assert.False(writer.IsCompleted, "every offer was accepted although nobody read the answers");
        Assert.True(last < Offers / 2, $"{last} offers went out before the writer blocked");

        for (int i = 0; i < Offers; i++)
            Assert.NotNull((await session.NextAsync()).OfferResult);
        await writer;
        Assert.Equal(Offers, written);
    }
}
