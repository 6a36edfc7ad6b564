using Bunker.Chunking;
using Bunker.Index;
using Bunker.Storage.Packs;

namespace Bunker.Storage.Tests.Repository;

/// <summary>Invariants 1 and 2 at the library level: bad input is refused precisely and stores nothing.</summary>
public class HostileInputTests
{
    [Fact]
    public async Task AChunkWhoseBytesDoNotMatchItsDigestIsRefusedAndNothingIsStored()
    {
        await using var f = await RepositoryFixture.CreateAsync();
        var data = TestData.Random(50_000, 1);
        var lie = ChunkDigest.Compute(TestData.Random(10, 2));
        var error = await Assert.ThrowsAsync<ChunkDigestMismatchException>(() => f.Repository.PutAsync(lie, data).AsTask());
        Assert.Contains(lie.ToString(), error.Message);

        await f.Repository.FlushAsync();
        Assert.Equal(0, f.Index.Chunks.Count(f.Repository.Id));
        Assert.Equal(0, f.Index.Packs.Count(f.Repository.Id));
        var present = new bool[2];
        Assert.Equal(0, f.Repository.Has([lie, ChunkDigest.Compute(data)], present));
    }

    [Fact]
    public async Task AnEncodedChunkThatDoesNotDecodeOrMatchIsRefused()
    {
        await using var f = await RepositoryFixture.CreateAsync();
        var data = TestData.Text(40_000, 3);
        var digest = ChunkDigest.Compute(data);
        await Assert.ThrowsAsync<InvalidDataException>(() => f.Repository.PutEncodedAsync(digest, TestData.Random(500, 4), ChunkCodec.Zstd, data.Length).AsTask());
        await Assert.ThrowsAsync<InvalidDataException>(() => f.Repository.PutEncodedAsync(digest, data, (ChunkCodec)77, data.Length).AsTask());
        await Assert.ThrowsAsync<ChunkDigestMismatchException>(() => f.Repository.PutEncodedAsync(digest, TestData.Text(40_000, 5), ChunkCodec.None, 40_000).AsTask());
        await Assert.ThrowsAsync<InvalidDataException>(() => f.Repository.PutEncodedAsync(digest, data, ChunkCodec.None, PackFormat.MaxChunkSize + 1).AsTask());
        await f.Repository.FlushAsync();
        Assert.Equal(0, f.Index.Chunks.Count(f.Repository.Id));

        Assert.True(await f.Repository.PutEncodedAsync(digest, data, ChunkCodec.None, data.Length));
        Assert.Equal(data, await f.Repository.GetAsync(digest));
    }

    [Fact]
    public async Task ACommitReferencingAMissingChunkIsRefusedAndLeavesNoSnapshot()
    {
        await using var f = await RepositoryFixture.CreateAsync();
        var archive = await Backups.ArchiveAsync(f.Repository, "a", TestData.Random(300_000, 6));
        var ghost = ChunkDigest.Compute("never uploaded"u8);
        await archive.AddAsync(ghost, 14);

        var error = await Assert.ThrowsAsync<SnapshotRefusedException>(() => f.Repository.CommitSnapshotAsync(new SnapshotDraft("files", "h", "/"), [archive]));
        Assert.Contains(ghost, error.Missing);
        Assert.Empty(f.Repository.ListSnapshots());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(f.StorePath, "snapshots")));
    }

    [Fact]
    public async Task UnknownSnapshotsAndChunksAreNotFound()
    {
        await using var f = await RepositoryFixture.CreateAsync();
        await Assert.ThrowsAsync<SnapshotNotFoundException>(() => f.Repository.LoadManifestAsync(SnapshotId.FromHash(ChunkDigest.Compute("x"u8))));
        await Assert.ThrowsAsync<ChunkNotFoundException>(() => f.Repository.GetAsync(ChunkDigest.Compute("y"u8)));
        await Assert.ThrowsAsync<InvalidDataException>(() => f.Repository.PutAsync(ChunkDigest.Compute([]), Array.Empty<byte>()).AsTask());
    }

    [Fact]
    public void AMalformedConfigObjectIsAClearError()
    {
        foreach (var json in new[] { "", "{", "[]", "{\"format\":\"other\"}", "{\"format\":\"bunker-repository\",\"version\":99}", "{\"format\":\"bunker-repository\",\"version\":1,\"id\":\"zz\"}" })
        {
            var error = Assert.Throws<InvalidDataException>(() => RepositoryConfig.FromJson(System.Text.Encoding.UTF8.GetBytes(json)));
            Assert.False(string.IsNullOrWhiteSpace(error.Message));
        }
    }
}
