using Bunker.Chunking;

namespace Bunker.Index.Tests;

public sealed class ChunkIndexTests : IDisposable
{
    private readonly TestIndex _t = new();
    private readonly RepositoryId _repo = RepositoryId.New();

    public void Dispose() => _t.Dispose();

    [Fact]
    public void PutThenTryGetRoundTripsEveryField()
    {
        var digest = Data.Digest(1);
        var location = new ChunkLocation(Data.Pack(9), uint.MaxValue, 123456, 7654321, ChunkCodec.Zstd);
        Assert.False(_t.Index.Chunks.TryGet(_repo, digest, out _));

        _t.Write(b => b.PutChunk(_repo, digest, location));

        Assert.True(_t.Index.Chunks.TryGet(_repo, digest, out var read));
        Assert.Equal(location, read);

        _t.Write(b => b.DeleteChunk(_repo, digest));
        Assert.False(_t.Index.Chunks.TryGet(_repo, digest, out _));
    }

    [Fact]
    public void MultiGetOverThousandsReportsPresentAndAbsent()
    {
        const int n = 5000;
        _t.Write(b =>
        {
            for (int i = 0; i < n; i += 2)
                b.PutChunk(_repo, Data.Digest(i), Data.Location(i));
        });
        var digests = new ChunkDigest[n];
        for (int i = 0; i < n; i++)
            digests[i] = Data.Digest(i);
        // Pre-filled with wrong answers, so a look-up that forgets to clear a miss is caught.
        var locations = new ChunkLocation[n];
        Array.Fill(locations, Data.Location(1));
        var found = new bool[n];
        Array.Fill(found, true);

        _t.Index.Chunks.MultiGet(_repo, digests, locations, found);

        for (int i = 0; i < n; i++)
        {
            Assert.Equal(i % 2 == 0, found[i]);
            Assert.Equal(i % 2 == 0 ? Data.Location(i) : default, locations[i]);
        }
        var presence = new bool[n];
        Array.Fill(presence, true);
        Assert.Equal(n / 2, _t.Index.Chunks.CountPresent(_repo, digests, presence));
        Assert.Equal(found, presence);
    }

    [Fact]
    public void RepositoriesThatArePrefixNeighboursDoNotSeeEachOther()
    {
        var (a, b) = Data.NeighbourRepositories();
        _t.Write(batch =>
        {
            for (int i = 0; i < 10; i++)
                batch.PutChunk(a, Data.Digest(i), Data.Location(i));
            batch.PutChunk(b, Data.Digest(100), Data.Location(100));
        });

        Assert.False(_t.Index.Chunks.TryGet(b, Data.Digest(0), out _));
        Assert.Equal(10, _t.Index.Chunks.Count(a));
        Assert.Equal(1, _t.Index.Chunks.Count(b));
        Assert.Equal([Data.Digest(100)], _t.Index.Chunks.Scan(b).Select(e => e.Key));
        var found = new bool[2];
        Assert.Equal(0, _t.Index.Chunks.CountPresent(b, [Data.Digest(0), Data.Digest(1)], found));
    }

    [Fact]
    public void ScanStreamsInDigestOrderWithLocations()
    {
        var expected = new SortedDictionary<ChunkDigest, ChunkLocation>();
        _t.Write(b =>
        {
            for (int i = 0; i < 300; i++)
            {
                b.PutChunk(_repo, Data.Digest(i), Data.Location(i));
                expected[Data.Digest(i)] = Data.Location(i);
            }
        });

        Assert.Equal(expected.ToList(), _t.Index.Chunks.Scan(_repo).ToList());
        Assert.Empty(_t.Index.Chunks.Scan(RepositoryId.New()));
    }

    [Fact]
    public void CorruptValuesThrowIndexCorruptExceptionNamingTheKey()
    {
        var digest = Data.Digest(5);
        var key = new byte[ChunkIndex.KeyLength];
        _repo.CopyTo(key);
        digest.CopyTo(key.AsSpan(RepositoryId.Size));
        using (var batch = new RocksDb.WriteBatch())
        {
            batch.Put(_t.Index.Database.GetColumnFamily(ChunkIndex.FamilyName), key, [1, 2, 3]);
            _t.Index.Database.Write(batch, sync: false);
        }

        var ex = Assert.Throws<IndexCorruptException>(() => _t.Index.Chunks.TryGet(_repo, digest, out _));
        Assert.Contains(digest.ToString(), ex.Message);
        Assert.Throws<IndexCorruptException>(() => _t.Index.Chunks.MultiGet(_repo, [digest], new ChunkLocation[1], new bool[1]));
        Assert.Throws<IndexCorruptException>(() => _t.Index.Chunks.Scan(_repo).ToList());
        // Presence alone does not decode, so it still answers.
        Assert.Equal(1, _t.Index.Chunks.CountPresent(_repo, [digest], new bool[1]));
    }

    [Fact]
    public void MismatchedSpanLengthsAreRejected()
    {
        var digests = new[] { Data.Digest(1), Data.Digest(2) };
        Assert.Throws<ArgumentException>(() => _t.Index.Chunks.MultiGet(_repo, digests, new ChunkLocation[1], new bool[2]));
        Assert.Throws<ArgumentException>(() => _t.Index.Chunks.CountPresent(_repo, digests, new bool[1]));
    }
}
