using Bunker.Chunking;
using Bunker.Index;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;
using Google.Protobuf;

namespace Bunker.Server.Tests.Daemon;

/// <summary>The Backup session end to end, the PBS rule, aborts, and the read side.</summary>
public sealed class BackupSessionTests : IAsyncLifetime
{
    private DaemonFixture _d = null!;
    private string _token = null!;

    public async Task InitializeAsync()
    {
        _d = await DaemonFixture.StartAsync();
        _token = await _d.TenantWithRepositoryAsync("acme", "main", Role.Backup, Role.Restore);
    }

    public async Task DisposeAsync() => await _d.DisposeAsync();

    private CallOptions Options => DaemonFixture.As(_token);

    private async Task<SnapshotInfo> BackupAsync(IReadOnlyList<byte[]> chunks, string archive = "payload", byte[]? parent = null)
    {
        await using var session = await SessionDriver.StartAsync(_d.Repository(), Options, "main", parent: parent);
        await session.AddArchiveAsync(archive, chunks);
        return await session.CommitAsync();
    }

    [Fact]
    public async Task A_whole_session_commits_and_reads_back_through_every_read_call()
    {
        var chunks = Chunks.Random(40, seed: 1);
        chunks.Add(chunks[3]); // a repeated chunk is appended twice, stored once
        var client = _d.Repository();
        await using var session = await SessionDriver.StartAsync(client, Options, "main");
        Assert.Equal(16, session.Started.RepositoryId.Length);
        await session.AddArchiveAsync("payload", chunks);
        await session.AppendAsync("empty", []);
        Assert.Equal(40, session.Uploaded);
        var committed = await session.CommitAsync();
        Assert.Equal(32, committed.Id.Length);
        Assert.Equal((ulong)chunks.Sum(c => (long)c.Length), committed.Size);
        Assert.Equal(["payload", "empty"], committed.Manifest.Archives.Select(a => a.Name));

        var listed = new List<SnapshotInfo>();
        using (var list = client.ListSnapshots(new ListSnapshotsRequest { Repository = "main" }, Options))
            while (await list.ResponseStream.MoveNext(CancellationToken.None)) listed.Add(list.ResponseStream.Current);
        Assert.Equal(committed.Id, Assert.Single(listed).Id);

        string hex = Convert.ToHexStringLower(committed.Id.Span);
        Assert.Equal(committed.Id, (await client.GetSnapshotAsync(new GetSnapshotRequest { Repository = "main", Snapshot = hex[..6] }, Options)).Id);
        Assert.Equal(committed.Id, (await client.GetSnapshotAsync(new GetSnapshotRequest { Repository = "main", Snapshot = "latest" }, Options)).Id);

        var entries = new List<(ChunkDigest Digest, uint Length)>();
        using (var index = client.ReadArchiveIndex(new ReadArchiveIndexRequest { Repository = "main", SnapshotId = committed.Id, Archive = "payload" }, Options))
        {
            while (await index.ResponseStream.MoveNext(CancellationToken.None))
            {
                var page = index.ResponseStream.Current;
                Assert.Equal((ulong)entries.Count, page.FirstEntry);
                for (int i = 0; i < page.Entries.Length / 36; i++)
                    entries.Add((new ChunkDigest(page.Entries.Span.Slice(i * 36, 32)), BitConverter.ToUInt32(page.Entries.Span.Slice(i * 36 + 32, 4))));
            }
        }
        Assert.Equal(chunks.Count, entries.Count);
        var read = await SessionDriver.ReadBackAsync(client, Options, "main", entries.Select(e => e.Digest));
        Assert.Equal(40, read.Count);
        for (int i = 0; i < chunks.Count; i++)
        {
            Assert.Equal((uint)chunks[i].Length, entries[i].Length);
            Assert.Equal(chunks[i], read[entries[i].Digest]);
        }
    }

    [Fact]
    public async Task A_second_backup_of_the_same_data_uploads_nothing()
    {
        var chunks = Chunks.Random(20, seed: 2);
        var first = await BackupAsync(chunks);
        await using var session = await SessionDriver.StartAsync(_d.Repository(), Options, "main", parent: first.Id.ToByteArray());
        await session.AddArchiveAsync("payload", chunks);
        Assert.Equal(0, session.Uploaded);
        var second = await session.CommitAsync();
        Assert.Equal(first.Id.Length, second.Id.Length);
        Assert.Equal(first.Id, second.Manifest.ParentId);
    }

    [Fact]
    public async Task Uncompressed_puts_are_accepted_too()
    {
        var chunks = Chunks.Random(5, seed: 3, compressible: false);
        await using var session = await SessionDriver.StartAsync(_d.Repository(), Options, "main");
        var digests = chunks.Select(c => ChunkDigest.Compute(c)).ToList();
        await session.OfferAsync(digests);
        foreach (var chunk in chunks) await session.PutAsync(chunk, compress: false);
        await session.AppendAsync("payload", digests.Zip(chunks, (d, c) => (d, c.Length)));
        await session.CommitAsync();
        var read = await SessionDriver.ReadBackAsync(_d.Repository(), Options, "main", digests);
        Assert.Equal(chunks[0], read[digests[0]]);
    }

    [Fact]
    public async Task Appending_a_digest_the_session_neither_uploaded_nor_was_confirmed_is_refused()
    {
        // The chunk is in the repository (another session stored it), but this session never
        // offered it: the PBS rule still refuses the reference.
        var chunks = Chunks.Random(3, seed: 4);
        await BackupAsync(chunks);
        await using var session = await SessionDriver.StartAsync(_d.Repository(), Options, "main");
        await session.AppendAsync("payload", [(ChunkDigest.Compute(chunks[0]), chunks[0].Length)]);
        await session.Requests.WriteAsync(new BackupRequest { Commit = new CommitSnapshot() });
        var e = await Assert.ThrowsAsync<RpcException>(() => session.NextAsync());
        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Contains("neither uploaded", e.Status.Detail);
        Assert.Single(await ListAsync());
    }

    [Fact]
    public async Task Offering_a_digest_then_appending_it_works_without_uploading()
    {
        var chunks = Chunks.Random(3, seed: 5);
        await BackupAsync(chunks);
        await using var session = await SessionDriver.StartAsync(_d.Repository(), Options, "main");
        var missing = await session.OfferAsync([ChunkDigest.Compute(chunks[1])]);
        Assert.False(missing[0]);
        await session.AppendAsync("payload", [(ChunkDigest.Compute(chunks[1]), chunks[1].Length)]);
        var info = await session.CommitAsync();
        Assert.Equal((ulong)chunks[1].Length, info.Size);
    }

    [Fact]
    public async Task Holes_are_appended_without_a_chunk_and_read_back_as_hole_entries()
    {
        var chunks = Chunks.Random(2, seed: 6);
        await using var session = await SessionDriver.StartAsync(_d.Repository(), Options, "main");
        var digests = chunks.Select(c => ChunkDigest.Compute(c)).ToList();
        await session.OfferAsync(digests);
        foreach (var chunk in chunks) await session.PutAsync(chunk);
        // A hole needs no offer: it names no chunk.
        await session.AppendAsync("disk/sda", [(digests[0], chunks[0].Length), (ChunkDigest.Hole, 4 << 20), (digests[1], chunks[1].Length), (ChunkDigest.Hole, 16 << 20)]);
        var info = await session.CommitAsync();
        Assert.Equal((ulong)(chunks[0].Length + chunks[1].Length + (20 << 20)), info.Size);

        var entries = new List<(ChunkDigest Digest, uint Length)>();
        using (var index = _d.Repository().ReadArchiveIndex(new ReadArchiveIndexRequest { Repository = "main", SnapshotId = info.Id, Archive = "disk/sda" }, Options))
        {
            while (await index.ResponseStream.MoveNext(CancellationToken.None))
            {
                var page = index.ResponseStream.Current.Entries;
                for (int i = 0; i < page.Length / ChunkEntryLayout.Size; i++) entries.Add(ChunkEntryLayout.Read(page.Span, i));
            }
        }
        Assert.Equal([(digests[0], (uint)chunks[0].Length), (ChunkDigest.Hole, 4u << 20), (digests[1], (uint)chunks[1].Length), (ChunkDigest.Hole, 16u << 20)], entries);

        // A hole has no chunk behind it to read, and holes longer than a chunk may be are refused like any entry.
        var read = await Assert.ThrowsAsync<RpcException>(() => SessionDriver.ReadBackAsync(_d.Repository(), Options, "main", [ChunkDigest.Hole]));
        Assert.Equal(StatusCode.NotFound, read.StatusCode);
        await using var another = await SessionDriver.StartAsync(_d.Repository(), Options, "main");
        await another.AppendAsync("disk/sda", [(ChunkDigest.Hole, (16 << 20) + 1)]);
        await another.Requests.WriteAsync(new BackupRequest { Commit = new CommitSnapshot() });
        var tooLong = await Assert.ThrowsAsync<RpcException>(() => another.NextAsync());
        Assert.Equal(StatusCode.InvalidArgument, tooLong.StatusCode);
    }

    [Fact]
    public async Task A_chunk_that_does_not_match_its_digest_is_rejected_and_not_stored()
    {
        var good = Chunks.Random(1, seed: 6)[0];
        var claimed = ChunkDigest.Compute(Chunks.Random(1, seed: 7)[0]);
        await using (var session = await SessionDriver.StartAsync(_d.Repository(), Options, "main"))
        {
            await session.OfferAsync([claimed]);
            await session.PutAsync(good, claimed: claimed);
            await session.Requests.WriteAsync(new BackupRequest { Commit = new CommitSnapshot() });
            var e = await Assert.ThrowsAsync<RpcException>(() => session.NextAsync());
            Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
            Assert.Contains("nothing was stored", e.Status.Detail);
        }
        await using var check = await SessionDriver.StartAsync(_d.Repository(), Options, "main");
        var missing = await check.OfferAsync([claimed, ChunkDigest.Compute(good)]);
        Assert.True(missing[0]);
        Assert.True(missing[1]);
    }

    [Fact]
    public async Task Undecodable_and_malformed_puts_are_invalid_arguments()
    {
        var data = Chunks.Random(1, seed: 8)[0];
        var cases = new List<ChunkData>
        {
            new() { Digest = ByteString.CopyFrom(new byte[31]), RawLength = 10, Data = ByteString.CopyFrom(new byte[10]) },
            new() { Digest = ByteString.CopyFrom(ChunkDigest.Compute(data).ToArray()), RawLength = 0, Data = ByteString.Empty },
            new() { Digest = ByteString.CopyFrom(ChunkDigest.Compute(data).ToArray()), RawLength = (uint)data.Length, Encoding = ChunkEncoding.Zstd, Data = ByteString.CopyFrom(data, 0, 100) },
            new() { Digest = ByteString.CopyFrom(ChunkDigest.Compute(data).ToArray()), RawLength = (uint)data.Length, Encoding = (ChunkEncoding)7, Data = ByteString.CopyFrom(data) },
            new() { Digest = ByteString.CopyFrom(ChunkDigest.Compute(data).ToArray()), RawLength = 1u << 30, Data = ByteString.CopyFrom(data) },
        };
        foreach (var chunk in cases)
        {
            await using var session = await SessionDriver.StartAsync(_d.Repository(), Options, "main");
            // The server may fail the call as soon as it reads the put, so the commit's write can be the one that
            // reports the status: what matters is which status ends the call, not which await sees it first.
            var e = await Assert.ThrowsAsync<RpcException>(async () =>
            {
                await session.Requests.WriteAsync(new BackupRequest { Put = new PutChunks { Chunks = { chunk } } });
                await session.Requests.WriteAsync(new BackupRequest { Commit = new CommitSnapshot() });
                await session.NextAsync();
            });
            Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        }
        Assert.Empty(await ListAsync());
    }

    [Fact]
    public async Task Labels_given_at_commit_join_the_starts_and_bad_ones_refuse_the_commit()
    {
        var chunks = Chunks.Random(2, seed: 41);
        await using (var session = await SessionDriver.StartAsync(_d.Repository(), Options, "main"))
        {
            await session.AddArchiveAsync("payload", chunks);
            var commit = new CommitSnapshot();
            commit.Labels["pg.stop_lsn"] = "0/2000100";
            var info = await session.CommitAsync(commit);
            Assert.Equal("0/2000100", info.Manifest.Labels["pg.stop_lsn"]);
        }
        foreach (var (key, value) in new[] { ("", "x"), ("k\0", "x"), ("k", "v\0"), (new string('k', 256), "x"), ("k", new string('v', 4097)) })
        {
            await using var session = await SessionDriver.StartAsync(_d.Repository(), Options, "main");
            await session.AddArchiveAsync("payload", chunks);
            var commit = new CommitSnapshot();
            commit.Labels[key] = value;
            var e = await Assert.ThrowsAsync<RpcException>(() => session.CommitAsync(commit));
            Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
            Assert.Contains("label", e.Status.Detail);
        }
        Assert.Single(await ListAsync());
    }

    [Fact]
    public async Task Malformed_session_messages_are_invalid_arguments()
    {
        var client = _d.Repository();
        async Task<RpcException> Run(params BackupRequest[] requests)
        {
            using var call = client.Backup(Options);
            foreach (var request in requests) await call.RequestStream.WriteAsync(request);
            await call.RequestStream.CompleteAsync();
            return await Assert.ThrowsAsync<RpcException>(async () => { while (await call.ResponseStream.MoveNext(CancellationToken.None)) { } });
        }
        var start = new BackupRequest { Start = new BackupStart { Repository = "main", SourceKind = "files", Host = "h" } };
        Assert.Equal(StatusCode.InvalidArgument, (await Run(new BackupRequest { Commit = new CommitSnapshot() })).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, (await Run()).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, (await Run(new BackupRequest { Start = new BackupStart { Repository = "main" } })).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, (await Run(start, start)).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, (await Run(start, new BackupRequest())).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, (await Run(start, new BackupRequest { Offer = new OfferDigests { Digests = ByteString.CopyFrom(new byte[33]) } })).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, (await Run(start, new BackupRequest { Offer = new OfferDigests { Digests = ByteString.CopyFrom(new byte[32 * 65_537]) } })).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, (await Run(start, new BackupRequest { Append = new AppendArchive { Archive = "a", Entries = ByteString.CopyFrom(new byte[35]) } })).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, (await Run(start, new BackupRequest { Append = new AppendArchive { Archive = "" } })).StatusCode);
        Assert.Equal(StatusCode.NotFound, (await Run(new BackupRequest { Start = new BackupStart { Repository = "main", SourceKind = "files", Host = "h", ParentId = ByteString.CopyFrom(new byte[32]) } })).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, (await Run(new BackupRequest { Start = new BackupStart { Repository = "main", SourceKind = "files", Host = "h", ParentId = ByteString.CopyFrom(new byte[5]) } })).StatusCode);
        Assert.Equal(StatusCode.FailedPrecondition, (await Run(start)).StatusCode);
        Assert.Empty(await ListAsync());
    }

    [Fact]
    public async Task An_aborted_session_keeps_its_uploads_across_a_restart_so_a_retry_sends_nothing_again()
    {
        var chunks = Chunks.Random(12, seed: 9);
        var digests = chunks.Select(c => ChunkDigest.Compute(c)).ToList();
        using (var cts = new CancellationTokenSource())
        {
            var session = await SessionDriver.StartAsync(_d.Repository(), DaemonFixture.As(_token, cts.Token), "main");
            await session.OfferAsync(digests);
            for (int i = 0; i < 8; i++) await session.PutAsync(chunks[i]);
            // An offer round trip proves the server has processed the puts before the client vanishes.
            var answer = await session.OfferAsync([digests[7], digests[8]]);
            Assert.Equal(new[] { false, true }, answer);
            cts.Cancel();
            await session.DisposeAsync();
        }
        await WaitForNoSessionsAsync();
        await _d.StopAsync();
        await _d.StartAgainAsync();

        await using var retry = await SessionDriver.StartAsync(_d.Repository(), Options, "main");
        await retry.AddArchiveAsync("payload", chunks);
        Assert.Equal(4, retry.Uploaded);
        var info = await retry.CommitAsync();
        Assert.Equal((ulong)chunks.Sum(c => (long)c.Length), info.Size);
    }

    [Fact]
    public async Task An_explicit_abort_is_answered_and_commits_nothing()
    {
        var chunks = Chunks.Random(3, seed: 10);
        await using var session = await SessionDriver.StartAsync(_d.Repository(), Options, "main");
        await session.AddArchiveAsync("payload", chunks);
        await session.Requests.WriteAsync(new BackupRequest { Abort = new AbortBackup { Reason = "test" } });
        var aborted = (await session.NextAsync()).Aborted;
        Assert.Equal(3ul, aborted.ChunksKept);
        Assert.Empty(await ListAsync());
    }

    [Fact]
    public async Task Confirmed_and_uploaded_digests_are_pinned_until_the_session_ends()
    {
        var stored = Chunks.Random(2, seed: 11);
        await BackupAsync(stored);
        var fresh = Chunks.Random(1, seed: 12)[0];
        var repositoryId = new RepositoryId((await _d.Repository().HelloAsync(new HelloRequest { Repository = "main" }, Options)).RepositoryId.Span);
        var sessions = _d.Daemon.Sessions;
        await using (var session = await SessionDriver.StartAsync(_d.Repository(), Options, "main"))
        {
            await session.OfferAsync([ChunkDigest.Compute(stored[0])]);
            await session.PutAsync(fresh);
            await session.OfferAsync([ChunkDigest.Compute(fresh)]);
            Assert.True(sessions.IsPinned(repositoryId, ChunkDigest.Compute(stored[0])));
            Assert.True(sessions.IsPinned(repositoryId, ChunkDigest.Compute(fresh)));
            Assert.False(sessions.IsPinned(repositoryId, ChunkDigest.Compute(stored[1])));
            Assert.NotNull(sessions.OldestOpenSince);
            await session.AppendAsync("payload", [(ChunkDigest.Compute(fresh), fresh.Length)]);
            await session.CommitAsync();
        }
        await WaitForNoSessionsAsync();
        Assert.False(sessions.IsPinned(repositoryId, ChunkDigest.Compute(fresh)));
        Assert.Null(sessions.OldestOpenSince);
    }

    [Fact]
    public async Task Reading_an_unknown_chunk_or_snapshot_is_not_found()
    {
        await BackupAsync(Chunks.Random(2, seed: 13));
        var client = _d.Repository();
        var e = await Assert.ThrowsAsync<RpcException>(() => SessionDriver.ReadBackAsync(client, Options, "main", [ChunkDigest.Compute([1, 2, 3])]));
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() =>
            client.GetSnapshotAsync(new GetSnapshotRequest { Repository = "main", Snapshot = new string('a', 64) }, Options).ResponseAsync)).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(() =>
            client.GetSnapshotAsync(new GetSnapshotRequest { Repository = "main", Snapshot = "xyz!" }, Options).ResponseAsync)).StatusCode);
        Assert.Empty(await SessionDriver.ReadBackAsync(client, Options, "main", []));
        var odd = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = client.ReadChunks(new ReadChunksRequest { Repository = "main", Digests = ByteString.CopyFrom(new byte[40]) }, Options);
            while (await call.ResponseStream.MoveNext(CancellationToken.None)) { }
        });
        Assert.Equal(StatusCode.InvalidArgument, odd.StatusCode);
    }

    [Fact]
    public async Task Delete_needs_operator_and_removes_the_snapshot()
    {
        var info = await BackupAsync(Chunks.Random(2, seed: 14));
        string operatorToken = await _d.TokenAsync("acme", "main", Role.Operator);
        var client = _d.Repository();
        await client.DeleteSnapshotAsync(new DeleteSnapshotRequest { Repository = "main", SnapshotId = info.Id }, DaemonFixture.As(operatorToken));
        Assert.Empty(await ListAsync());
        var again = await Assert.ThrowsAsync<RpcException>(() => client.DeleteSnapshotAsync(new DeleteSnapshotRequest { Repository = "main", SnapshotId = info.Id }, DaemonFixture.As(operatorToken)).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, again.StatusCode);
    }

    private const string WalSegment = "7301234567890123456/000000010000000000000001";

    /// <summary>A create-once session for one WAL file, as `bunker pg wal-push` opens it.</summary>
    private Task<SessionDriver> StartWalPushAsync() =>
        SessionDriver.StartAsync(_d.Repository(), Options, "main", host: "db1", sourceId: WalSegment, sourceKind: "postgres-wal", createOnce: true);

    private async Task<SnapshotInfo> PushWalAsync(IReadOnlyList<byte[]> chunks)
    {
        await using var session = await StartWalPushAsync();
        await session.AddArchiveAsync("wal", chunks);
        return await session.CommitAsync();
    }

    [Fact]
    public async Task A_create_once_push_of_the_same_file_again_answers_with_the_first_snapshot()
    {
        var chunks = Chunks.Random(6, seed: 51);
        var first = await PushWalAsync(chunks);

        await using var again = await StartWalPushAsync();
        await again.AddArchiveAsync("wal", chunks);
        var second = await again.CommitAsync();

        Assert.Equal(0, again.Uploaded);
        Assert.Equal(first.Id, second.Id);
        Assert.Equal(first.TimeUnixNanos, second.TimeUnixNanos);
        Assert.Equal(first.Id, Assert.Single(await ListAsync()).Id);
    }

    [Fact]
    public async Task A_create_once_push_of_different_content_under_an_existing_name_is_already_exists_and_keeps_the_first()
    {
        var first = await PushWalAsync(Chunks.Random(6, seed: 52));

        var changed = Chunks.Random(6, seed: 52);
        changed[4][100] ^= 1;
        await using var conflicting = await StartWalPushAsync();
        await conflicting.AddArchiveAsync("wal", changed);
        await conflicting.Requests.WriteAsync(new BackupRequest { Commit = new CommitSnapshot() });
        var e = await Assert.ThrowsAsync<RpcException>(() => conflicting.NextAsync());

        Assert.Equal(StatusCode.AlreadyExists, e.StatusCode);
        Assert.Contains(WalSegment, e.Status.Detail);
        Assert.Contains("different content", e.Status.Detail);
        Assert.Equal(first.Id, Assert.Single(await ListAsync()).Id);
    }

    private Task<List<SnapshotInfo>> ListAsync() => SessionDriver.ListSnapshotsAsync(_d.Repository(), Options, "main");

    private async Task WaitForNoSessionsAsync()
    {
        for (int i = 0; i < 500 && _d.Daemon.Sessions.OpenCount > 0; i++) await Task.Delay(10);
        Assert.Equal(0, _d.Daemon.Sessions.OpenCount);
    }
}
