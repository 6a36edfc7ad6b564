using Bunker.Chunking;
using Bunker.Index;

namespace Bunker.Index.Tests;

public class ChunkDigestTests
{
    [Fact]
    public void Sha256OfAbcMatchesTheFipsVector()
    {
        var d = ChunkDigest.Compute("abc"u8);
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", d.ToString());
        Assert.Equal(d, ChunkDigest.Parse(d.ToString()));
        Assert.Equal(d, new ChunkDigest(d.ToArray()));
    }

    [Fact]
    public void OrderingFollowsTheBytes()
    {
        var lo = new ChunkDigest(new byte[32]);
        var hiBytes = new byte[32];
        hiBytes[31] = 1;
        Assert.True(lo.CompareTo(new ChunkDigest(hiBytes)) < 0);
        Assert.Throws<ArgumentException>(() => new ChunkDigest(new byte[31]));
        Assert.Throws<FormatException>(() => ChunkDigest.Parse("abc"));
    }

    [Fact]
    public void RepositoryIdRoundTripsThroughBytes()
    {
        var id = RepositoryId.New();
        Assert.Equal(id, new RepositoryId(id.ToArray()));
        Assert.Equal(id, RepositoryId.Parse(id.ToString()));
    }
}
