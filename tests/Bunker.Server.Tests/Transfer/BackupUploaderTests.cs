using Bunker.Client.Backup;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;
using Bunker.Server.Tests.Daemon;

namespace Bunker.Server.Tests.Transfer;

/// <summary>The client's pipelined upload against a daemon, read back through the fetcher.</summary>
public sealed class BackupUploaderTests : IAsyncLifetime
{
    private DaemonFixture _d = null!;
    private Transfers _t = null!;

    public async Task InitializeAsync()
    {
        _d = await DaemonFixture.StartAsync();
        _t = await Transfers.ForAsync(_d);
    }

    public async Task DisposeAsync() => await _d.DisposeAsync();

    // Small offers and puts, so that ~200 chunks make a dozen offers and many puts in flight at once.
    private static readonly BackupUploaderOptions Pipelined = new() { MaxOfferDigests = 16, MaxPutBytes = 512 << 10 };

    /// <summary>200 distinct chunks, compressible and random alternating, with one in five repeated later.</summary>
    private static List<byte[]> Workload(int seed)
    {
        var compressible = Chunks.Random(100, seed, compressible: true);
        var random = Chunks.Random(100, seed + 1, compressible: false);
        var chunks = new List<byte[]>(220);
        for (int i = 0; i < 100; i++)
        {
            chunks.Add(compressible[i]);
            chunks.Add(random[i]);
            if (i % 5 == 4) chunks.Add(chunks[i]);
        }
        return chunks;
    }

    [Fact]
    public async Task A_pipelined_upload_commits_and_reads_back_identical_over_one_and_six_streams()
    {
        var chunks = Workload(seed: 1);
        long total = chunks.Sum(c => (long)c.Length);
        var (snapshot, stats) = await _t.UploadAsync(chunks, Pipelined);

        Assert.Equal((ulong)total, snapshot.Size);
        Assert.Equal(220, stats.ChunksAdded);
        Assert.Equal(total, stats.RawBytesAdded);
        Assert.Equal(200, stats.ChunksOffered);
        Assert.Equal(200, stats.ChunksUploaded);
        Assert.InRange(stats.EncodedBytesSent, 1, stats.RawBytesUploaded * 9 / 10); // half of every other chunk compresses

        var expected = Transfers.Concat(chunks);
        Assert.Equal(expected, await _t.RestoreAsync(snapshot, "payload", streams: 1));
        // Six streams over two channels, and ranges longer than one request.
        Assert.Equal(expected, await _t.RestoreAsync(snapshot, "payload", streams: 6, digestsPerRequest: 7));
    }

    [Fact]
    public async Task A_second_upload_of_the_same_data_uploads_no_chunk()
    {
        var chunks = Workload(seed: 2);
        var (first, _) = await _t.UploadAsync(chunks, Pipelined);
        var (second, stats) = await _t.UploadAsync(chunks, Pipelined);

        Assert.Equal(200, stats.ChunksOffered);
        Assert.Equal(0, stats.ChunksUploaded);
        Assert.Equal(0, stats.EncodedBytesSent);
        Assert.Equal(first.Size, second.Size);
        Assert.NotEqual(first.Id, second.Id);
        Assert.Equal(Transfers.Concat(chunks), await _t.RestoreAsync(second, "payload", streams: 2));
    }

    [Fact]
    public async Task Buffered_bytes_stay_within_the_budget()
    {
        const long budget = 1 << 20;
        var chunks = Chunks.Random(150, seed: 3, minSize: 1000, maxSize: 200_000, compressible: false);
        var (snapshot, stats) = await _t.UploadAsync(chunks, new BackupUploaderOptions { MaxBufferedBytes = budget, MaxOfferDigests = 8 });

        Assert.True(chunks.Sum(c => (long)c.Length) > 10 * budget, "the input must be much larger than the budget");
        Assert.InRange(stats.PeakBufferedBytes, 1, budget + chunks.Max(c => c.Length));
        Assert.Equal(150, stats.ChunksUploaded);
        Assert.Equal(Transfers.Concat(chunks), await _t.RestoreAsync(snapshot, "payload", streams: 4));
    }

    [Fact]
    public async Task Interleaved_archives_keep_their_own_order_and_an_empty_one_is_declared()
    {
        var chunks = Chunks.Random(40, seed: 4);
        await using var uploader = await _t.StartAsync(Pipelined);
        await uploader.AddArchiveAsync("first-empty");
        for (int i = 0; i < chunks.Count; i++)
            await uploader.AddChunkAsync(i % 3 == 0 ? "thirds" : "rest", chunks[i]);
        await uploader.AddChunkAsync("rest", chunks[0]); // known to the session already, through another archive
        var snapshot = await uploader.CommitAsync();

        Assert.Equal(["first-empty", "thirds", "rest"], snapshot.Manifest.Archives.Select(a => a.Name));
        Assert.Empty(await _t.EntriesAsync(snapshot, "first-empty"));
        Assert.Equal(Transfers.Concat(chunks.Where((_, i) => i % 3 == 0)), await _t.RestoreAsync(snapshot, "thirds", streams: 1));
        Assert.Equal(Transfers.Concat([.. chunks.Where((_, i) => i % 3 != 0), chunks[0]]), await _t.RestoreAsync(snapshot, "rest", streams: 3));
    }

    [Fact]
    public async Task An_abort_keeps_what_was_put_and_drops_the_batch_not_yet_offered()
    {
        var chunks = Chunks.Random(30, seed: 5);
        await using (var uploader = await _t.StartAsync(Pipelined))
        {
            // 16 digests fill an offer, which goes out at once; the other 14 wait in the open batch.
            foreach (var chunk in chunks) await uploader.AddChunkAsync("payload", chunk);
            var until = DateTime.UtcNow.AddSeconds(30);
            while (uploader.Statistics.ChunksUploaded < 16 && DateTime.UtcNow < until) await Task.Delay(10);
            Assert.Equal(16, uploader.Statistics.ChunksUploaded);
            await uploader.AbortAsync("test");
            await Assert.ThrowsAsync<InvalidOperationException>(() => uploader.CommitAsync());
        }
        var (snapshot, stats) = await _t.UploadAsync(chunks, Pipelined);
        Assert.Equal(14, stats.ChunksUploaded);
        Assert.Equal(Transfers.Concat(chunks), await _t.RestoreAsync(snapshot, "payload", streams: 2));
    }

    [Fact]
    public async Task A_refused_start_is_the_servers_RpcException()
    {
        var start = _t.Start();
        start.Repository = "no-such-repository";
        var error = await Assert.ThrowsAsync<RpcException>(() => BackupUploader.StartAsync(_d.Repository(), start, _t.Options));
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task A_server_error_mid_session_ends_the_upload_with_the_servers_RpcException()
    {
        await using var daemon = await DaemonFixture.StartAsync(configure: o => o.MaxSessionDigests = 1024);
        var t = new Transfers(daemon, await daemon.TenantWithRepositoryAsync("acme", "main", Role.Backup));
        var chunks = Chunks.Random(1100, seed: 6, minSize: 10, maxSize: 100);

        await using var uploader = await t.StartAsync(Pipelined);
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            foreach (var chunk in chunks) await uploader.AddChunkAsync("payload", chunk);
            await uploader.CommitAsync();
        });
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        // The upload is over: the next call says so with the same error.
        Assert.Equal(StatusCode.ResourceExhausted, (await Assert.ThrowsAsync<RpcException>(() => uploader.AddChunkAsync("payload", chunks[0]).AsTask())).StatusCode);
    }

    [Fact]
    public async Task Known_chunks_of_an_earlier_snapshot_are_offered_and_appended_without_their_bytes()
    {
        var chunks = Workload(seed: 7);
        var (first, _) = await _t.UploadAsync(chunks, Pipelined);
        var entries = await _t.EntriesAsync(first, "payload");

        await using var uploader = await _t.StartAsync(Pipelined);
        foreach (var entry in entries)
            await uploader.AddKnownChunkAsync("payload", entry.Digest, entry.Length);
        var fresh = Chunks.Random(3, seed: 8);
        foreach (var chunk in fresh) await uploader.AddChunkAsync("payload", chunk);
        var second = await uploader.CommitAsync();
        var stats = uploader.Statistics;

        Assert.Equal(223, stats.ChunksAdded);
        Assert.Equal(203, stats.ChunksOffered); // a digest repeated within the session is offered once
        Assert.Equal(3, stats.ChunksUploaded);
        Assert.Equal(fresh.Sum(c => (long)c.Length), stats.RawBytesUploaded);
        Assert.InRange(stats.PeakBufferedBytes, 0, fresh.Sum(c => (long)c.Length)); // known chunks take no buffer
        Assert.Equal(Transfers.Concat([.. chunks, .. fresh]), await _t.RestoreAsync(second, "payload", streams: 2));
    }

    [Fact]
    public async Task A_known_chunk_the_repository_lacks_fails_the_upload_naming_it_and_commits_nothing()
    {
        var chunks = Chunks.Random(5, seed: 9);
        var (stored, _) = await _t.UploadAsync(chunks, Pipelined);
        var lost = Bunker.Chunking.ChunkDigest.Compute("never uploaded"u8);

        await using var uploader = await _t.StartAsync(Pipelined);
        await uploader.AddChunkAsync("payload", chunks[0]);
        await uploader.AddKnownChunkAsync("payload", lost, 14);
        var error = await Assert.ThrowsAsync<KnownChunkMissingException>(() => uploader.CommitAsync());

        Assert.Equal(lost, error.Digest);
        Assert.Equal("payload", error.Archive);
        Assert.Contains(lost.ToString(), error.Message);
        var latest = await _d.Repository().GetSnapshotAsync(new GetSnapshotRequest { Repository = "main", Snapshot = "latest" }, _t.Options);
        Assert.Equal(stored.Id, latest.Id); // the failed session left no snapshot
    }
}
