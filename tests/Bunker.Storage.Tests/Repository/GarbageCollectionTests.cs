using Bunker.Chunking;
using Bunker.Index;

namespace Bunker.Storage.Tests.Repository;

/// <summary>The fault-point hook is process-wide: tests that set it run alone.</summary>
[CollectionDefinition("FaultPointHook", DisableParallelization = true)]
public sealed class FaultPointHookCollection;

/// <summary>
/// Mark and sweep: what a forgotten snapshot alone held is reclaimed, whatever a remaining snapshot or a writer racing
/// the collection references is not, partly dead packs are rewritten, and a dry run changes nothing.
/// </summary>
[Collection("FaultPointHook")]
public sealed class GarbageCollectionTests
{
    private static readonly GcOptions Now = new() { Grace = TimeSpan.Zero };

    private static async Task<SnapshotRecord> SnapshotAsync(Bunker.Storage.Repository repository, string source, byte[] data)
    {
        var archive = await Backups.ArchiveAsync(repository, "data", data);
        return await repository.CommitSnapshotAsync(new SnapshotDraft("files", "host", source), [archive]);
    }

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    // TestData.Random seeds with seed | 1: the seeds below are odd and distinct so that no two data sets are equal.

    [Fact]
    public async Task What_only_a_forgotten_snapshot_held_is_reclaimed_and_the_rest_restores()
    {
        await using var f = await RepositoryFixture.CreateAsync();
        var shared = TestData.Random(1 << 20, 11);
        var onlyA = TestData.Random(2 << 20, 13);
        var onlyB = TestData.Random(1 << 20, 15);
        var a = await SnapshotAsync(f.Repository, "a", Concat(shared, onlyA));
        var b = await SnapshotAsync(f.Repository, "b", Concat(shared, onlyB));
        long packsBefore = f.Index.Packs.Count(f.Repository.Id);
        long bytesBefore = f.Index.Packs.Scan(f.Repository.Id).Sum(p => p.Size);

        var dry = await f.Repository.CollectGarbageAsync(Now with { DryRun = true });
        Assert.Equal(0, dry.ChunksDead);
        Assert.Equal(0, dry.PacksCondemned);

        await f.Repository.DeleteSnapshotAsync(a.Id);
        var preview = await f.Repository.CollectGarbageAsync(Now with { DryRun = true });
        Assert.True(preview.ChunksDead > 0 && preview.PacksCondemned > 0);
        Assert.Equal(packsBefore, f.Index.Packs.Count(f.Repository.Id)); // a dry run changes nothing

        var report = await f.Repository.CollectGarbageAsync(Now);
        Assert.Equal(1, report.Snapshots);
        Assert.Equal(preview.ChunksDead, report.ChunksDead);
        Assert.True(report.PacksDeleted > 0);
        Assert.True(report.BytesDead > 2 << 20, $"{report.BytesDead} bytes dead of the 2 MiB only A held");
        Assert.True(report.PacksDeleted > 0 && report.BytesReclaimed > 0);
        Assert.True(f.Index.Packs.Scan(f.Repository.Id).Sum(p => p.Size) < bytesBefore - (1 << 20), "the store holds less");
        Assert.Equal(Concat(shared, onlyB), await Backups.RestoreAsync(f.Repository, b.Id, "data"));
        var check = await f.Repository.CheckAsync(readData: true);
        Assert.True(check.IsHealthy, string.Join("; ", check.Damaged.Concat(check.MissingChunks)));
        Assert.Equal(0, check.UnreferencedChunks);
        Assert.Empty(check.OrphanPacks);

        // A second collection finds nothing.
        var again = await f.Repository.CollectGarbageAsync(Now);
        Assert.Equal(0, again.ChunksDead);
        Assert.Equal(0, again.PacksCondemned);
    }

    [Fact]
    public async Task Partly_dead_packs_are_rewritten_and_condemned_packs_wait_for_their_grace()
    {
        await using var f = await RepositoryFixture.CreateAsync(new RepositoryOptions { PackTargetSize = 4 << 20, Writers = 1 });
        // One writer, large packs: A's and B's chunks share packs, so forgetting A leaves packs partly dead.
        var archiveA = f.Repository.CreateArchive("data");
        var archiveB = f.Repository.CreateArchive("data");
        var chunker = new FastCdcChunker(Backups.SmallChunks);
        var dataA = TestData.Random(3 << 20, 17);
        var dataB = TestData.Random(3 << 20, 19);
        for (int i = 0; i < 3; i++)
        {
            await archiveA.AppendStreamAsync(new MemoryStream(dataA, i << 20, 1 << 20), chunker);
            await archiveB.AppendStreamAsync(new MemoryStream(dataB, i << 20, 1 << 20), chunker);
        }
        var a = await f.Repository.CommitSnapshotAsync(new SnapshotDraft("files", "host", "a"), [archiveA]);
        var b = await f.Repository.CommitSnapshotAsync(new SnapshotDraft("files", "host", "b"), [archiveB]);
        await f.Repository.DeleteSnapshotAsync(a.Id);

        var held = await f.Repository.CollectGarbageAsync(new GcOptions { RepackBelow = 0.9, Grace = TimeSpan.FromHours(1) });
        Assert.True(held.PacksRewritten > 0, "packs half A, half B are rewritten: " + held);
        Assert.True(held.BytesRewritten > 0);
        Assert.Equal(0, held.PacksDeleted); // within their grace the old packs stay, for readers that looked them up before
        Assert.Equal(dataB, await Backups.RestoreAsync(f.Repository, b.Id, "data"));

        var later = await f.Repository.CollectGarbageAsync(Now);
        Assert.Equal(held.PacksCondemned, later.PacksDeleted);
        Assert.Equal(dataB, await Backups.RestoreAsync(f.Repository, b.Id, "data"));
        var check = await f.Repository.CheckAsync(readData: true);
        Assert.True(check.IsHealthy);
        Assert.Equal(0, check.UnreferencedChunks);
        Assert.Empty(check.OrphanPacks);
    }

    [Fact]
    public async Task Chunks_a_writer_confirms_stores_or_holds_while_the_collection_runs_are_not_swept()
    {
        await using var f = await RepositoryFixture.CreateAsync();
        var old = TestData.Random(2 << 20, 21);
        var forgotten = await SnapshotAsync(f.Repository, "old", old);
        // A session that was told a chunk is there before the collection started, and appends it later.
        var heldChunks = (await f.Repository.ReadArchiveAsync((await f.Repository.LoadManifestAsync(forgotten.Id)).Archives[0]).ToListAsync()).Take(4).ToList();
        await f.Repository.DeleteSnapshotAsync(forgotten.Id);

        var reused = TestData.Random(1 << 20, 23);
        var racingWriter = Task.CompletedTask;
        SnapshotRecord? committed = null;
        FaultPoints.Hook = point =>
        {
            if (point != FaultPoints.GcMarked) return;
            FaultPoints.Hook = null;
            // Marking is done. Now a writer re-uses a chunk the forgotten snapshot held (told it is present), stores a
            // new one, and commits, all before the sweep.
            racingWriter = Task.Run(async () =>
            {
                var first = heldChunks[0].Digest;
                var present = new bool[1];
                Assert.Equal(1, f.Repository.Has([first], present));
                var archive = f.Repository.CreateArchive("data");
                await archive.AddAsync(first, (int)heldChunks[0].Length);
                var digest = ChunkDigest.Compute(reused);
                await f.Repository.PutAsync(digest, reused);
                await archive.AddAsync(digest, reused.Length);
                committed = await f.Repository.CommitSnapshotAsync(new SnapshotDraft("files", "host", "racer"), [archive]);
            });
            racingWriter.GetAwaiter().GetResult();
        };
        var report = await f.Repository.CollectGarbageAsync(Now with
        {
            // The open session's held digests (chunks 1-3 of the forgotten snapshot), as the server's registry gives them.
            OpenSessionChunks = () => heldChunks.Skip(1).Select(c => c.Digest),
        });
        await racingWriter;
        Assert.Equal(3, report.ChunksPinned);
        Assert.True(report.ChunksDead > 0, "the forgotten snapshot's other chunks are swept");

        // The racer's snapshot is whole, and the session can still append what it held.
        var expected = Concat(old.AsSpan(0, (int)heldChunks[0].Length).ToArray(), reused);
        Assert.Equal(expected, await Backups.RestoreAsync(f.Repository, committed!.Id, "data"));
        var present = new bool[3];
        Assert.Equal(3, f.Repository.Has([.. heldChunks.Skip(1).Select(c => c.Digest)], present));
        var tail = f.Repository.CreateArchive("data");
        foreach (var chunk in heldChunks.Skip(1)) await tail.AddAsync(chunk.Digest, (int)chunk.Length);
        var late = await f.Repository.CommitSnapshotAsync(new SnapshotDraft("files", "host", "late"), [tail]);
        Assert.Equal((long)heldChunks.Skip(1).Sum(c => c.Length), (await Backups.RestoreAsync(f.Repository, late.Id, "data")).Length);
        Assert.True((await f.Repository.CheckAsync(readData: true)).IsHealthy);
    }
}
