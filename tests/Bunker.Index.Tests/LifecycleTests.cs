using Bunker.Chunking;

namespace Bunker.Index.Tests;

public sealed class LifecycleTests : IDisposable
{
    private readonly TestIndex _t = new();
    private readonly RepositoryId _repo = RepositoryId.New();

    public void Dispose() => _t.Dispose();

    [Fact]
    public void ReopenSeesCommittedDataButNotUnwrittenBatches()
    {
        _t.Write(b =>
        {
            b.PutChunk(_repo, Data.Digest(1), Data.Location(1));
            b.PutMeta("k"u8, "v"u8);
        }, sync: true);
        var pending = _t.Index.CreateBatch();
        pending.PutChunk(_repo, Data.Digest(2), Data.Location(2));

        var reopened = _t.Reopen();
        pending.Dispose();

        Assert.True(reopened.Chunks.TryGet(_repo, Data.Digest(1), out var location));
        Assert.Equal(Data.Location(1), location);
        Assert.True(reopened.Meta.TryGet("k"u8, out _));
        Assert.False(reopened.Chunks.TryGet(_repo, Data.Digest(2), out _));
    }

    [Fact]
    public void SecondOpenOfTheSamePathFailsClearly()
    {
        var ex = Assert.Throws<IndexAlreadyOpenException>(() => BunkerIndex.Open(_t.Options));
        Assert.Contains("already open", ex.Message);
        Assert.Contains(_t.Path, ex.Message);
        // The failed open must not have disturbed the first.
        _t.Write(b => b.PutMeta("still"u8, "works"u8));
        Assert.True(_t.Index.Meta.TryGet("still"u8, out _));
    }

    [Fact]
    public void DisposedIndexThrowsObjectDisposedExceptionAndDisposeIsIdempotent()
    {
        var index = _t.Index;
        var batch = index.CreateBatch();
        index.Dispose();
        index.Dispose();

        Assert.Throws<ObjectDisposedException>(() => index.Chunks.TryGet(_repo, Data.Digest(1), out _));
        Assert.Throws<ObjectDisposedException>(() => index.Chunks.MultiGet(_repo, [Data.Digest(1)], new ChunkLocation[1], new bool[1]));
        Assert.Throws<ObjectDisposedException>(() => index.Chunks.Scan(_repo).ToList());
        Assert.Throws<ObjectDisposedException>(() => index.Meta.TryGet("k"u8, out _));
        Assert.Throws<ObjectDisposedException>(() => index.CreateBatch());
        Assert.Throws<ObjectDisposedException>(() => batch.PutChunk(_repo, Data.Digest(1), Data.Location(1)));
        Assert.Throws<ObjectDisposedException>(() => index.Write(batch));
        batch.Dispose();
        batch.Dispose();
        _t.Reopen();
    }

    [Fact]
    public void DisposingWhileAScanIsOpenDefersTheCloseUntilTheScanEnds()
    {
        _t.Write(b =>
        {
            for (int i = 0; i < 100; i++)
                b.PutChunk(_repo, Data.Digest(i), Data.Location(i));
        });
        var scan = _t.Index.Chunks.Scan(_repo).GetEnumerator();
        Assert.True(scan.MoveNext());

        _t.Index.Dispose();

        // The iterator still holds the database open, so its lock is not released yet...
        Assert.Throws<IndexAlreadyOpenException>(() => BunkerIndex.Open(_t.Options));
        // ...and the scan fails cleanly instead of reading a closed database; that ends the
        // iterator, which lets the database close.
        Assert.Throws<ObjectDisposedException>(() => scan.MoveNext());
        scan.Dispose();
        var reopened = _t.Reopen();
        Assert.Equal(100, reopened.Chunks.Count(_repo));
    }

    [Fact]
    public async Task DisposingUnderConcurrentReadsOnlyEverSurfacesObjectDisposedException()
    {
        _t.Write(b =>
        {
            for (int i = 0; i < 2000; i++)
                b.PutChunk(_repo, Data.Digest(i), Data.Location(i));
        });
        var index = _t.Index;
        var digests = Enumerable.Range(0, 1000).Select(i => Data.Digest(i * 3)).ToArray();
        using var warmedUp = new CountdownEvent(4);
        var readers = Enumerable.Range(0, 4).Select(r => Task.Run(() =>
        {
            var locations = new ChunkLocation[digests.Length];
            var found = new bool[digests.Length];
            long reads = 0;
            bool signalled = false;
            try
            {
                while (true)
                {
                    index.Chunks.MultiGet(_repo, digests, locations, found);
                    Assert.True(index.Chunks.TryGet(_repo, Data.Digest(r), out _));
                    foreach (var _ in index.Chunks.Scan(_repo).Take(50))
                        reads++;
                    reads++;
                    if (!signalled)
                    {
                        warmedUp.Signal();
                        signalled = true;
                    }
                }
            }
            catch (ObjectDisposedException)
            {
                return reads;
            }
        })).ToArray();

        // Dispose only once every reader is mid-loop, so the race is real.
        Assert.True(await Task.Run(() => warmedUp.Wait(TimeSpan.FromSeconds(30))));
        index.Dispose();

        foreach (var reads in await Task.WhenAll(readers))
            Assert.True(reads > 0);
        Assert.Equal(2000, _t.Reopen().Chunks.Count(_repo));
    }

    [Fact]
    public async Task ABatchAcrossTablesIsVisibleWhollyOrNotAtAll()
    {
        const int batches = 40, chunksPerBatch = 500;
        var done = 0;
        using var started = new SemaphoreSlim(0);
        var reader = Task.Run(() =>
        {
            int observedWhole = 0;
            var found = new bool[chunksPerBatch];
            started.Release();
            bool last;
            do
            {
                last = Volatile.Read(ref done) != 0;
                for (int b = 0; b < batches; b++)
                {
                    // The pack is read first: if it is visible, a later read must see every chunk.
                    if (!_t.Index.Packs.TryGet(_repo, Data.Pack(b), out _))
                        continue;
                    var batchDigests = new ChunkDigest[chunksPerBatch];
                    for (int i = 0; i < chunksPerBatch; i++)
                        batchDigests[i] = Data.Digest(b * chunksPerBatch + i);
                    Assert.Equal(chunksPerBatch, _t.Index.Chunks.CountPresent(_repo, batchDigests, found));
                    observedWhole++;
                }
            } while (!last);
            return observedWhole;
        });
        await started.WaitAsync();

        for (int b = 0; b < batches; b++)
        {
            // The pack goes first in the batch and the reader looks for it first: a writer that
            // applied entries one by one would show the pack before its chunks.
            _t.Write(batch =>
            {
                batch.PutPack(_repo, new PackRecord(Data.Pack(b), "local", 1, 1, chunksPerBatch, DateTimeOffset.UtcNow));
                for (int i = 0; i < chunksPerBatch; i++)
                    batch.PutChunk(_repo, Data.Digest(b * chunksPerBatch + i), Data.Location(i));
            });
        }
        Volatile.Write(ref done, 1);

        Assert.True(await reader > 0);
        Assert.Equal(batches * chunksPerBatch, _t.Index.Chunks.Count(_repo));
    }

    [Fact]
    public void ABatchFromAnotherIndexIsRejected()
    {
        using var other = new TestIndex();
        using var batch = other.Index.CreateBatch();
        Assert.Throws<ArgumentException>(() => _t.Index.Write(batch));
    }
}
