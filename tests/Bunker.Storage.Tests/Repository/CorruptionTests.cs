using Bunker.Chunking;
using Bunker.Index;
using Bunker.Storage.Crypto;
using Bunker.Storage.Packs;
using Bunker.Storage.Stores;

namespace Bunker.Storage.Tests.Repository;

/// <summary>Every kind of damage is detected and attributed to its pack and chunk, never a crash or wrong bytes.</summary>
public class CorruptionTests
{
    private static async Task<(RepositoryFixture F, ChunkDigest Digest, ChunkLocation At, string PackPath)> OneChunkAsync()
    {
        var f = await RepositoryFixture.CreateAsync();
        var data = TestData.Text(200_000, 11);
        var digest = ChunkDigest.Compute(data);
        await f.Repository.PutAsync(digest, data);
        await f.Repository.FlushAsync();
        Assert.True(f.Repository.TryLocate(digest, out var at));
        var name = at.Pack.ToString();
        return (f, digest, at, Path.Combine(f.StorePath, "packs", name[..2], name));
    }

    [Fact]
    public async Task AFlippedByteInAChunkRecordNamesThePackAndTheChunk()
    {
        var (f, digest, at, path) = await OneChunkAsync();
        await using var _ = f;
        var bytes = File.ReadAllBytes(path);
        bytes[at.Offset + at.StoredLength / 2] ^= 0x01;
        File.WriteAllBytes(path, bytes);

        var error = await Assert.ThrowsAsync<PackCorruptException>(() => f.Repository.GetAsync(digest));
        Assert.Contains(at.Pack.ToString(), error.Message);
        Assert.Contains(digest.ToString(), error.Message);
        Assert.Equal(digest, error.Chunk);

        var check = await f.Repository.CheckAsync(readData: true);
        Assert.False(check.IsHealthy);
        Assert.Contains(check.Damaged, d => d.Contains(at.Pack.ToString()) && d.Contains("hash to its name"));
        Assert.Contains(check.Damaged, d => d.Contains(digest.ToString()));
    }

    [Fact]
    public async Task AFlippedByteInThePackTableIsDetectedOnRebuild()
    {
        var (f, _, at, path) = await OneChunkAsync();
        await using var __ = f;
        var bytes = File.ReadAllBytes(path);
        bytes[^(PackFormat.FooterSize + 5)] ^= 0x80;
        File.WriteAllBytes(path, bytes);

        var error = await Assert.ThrowsAsync<PackCorruptException>(() => PackReader.ReadTableAsync(f.Store, at.Pack, f.Repository.Cipher));
        Assert.Contains(at.Pack.ToString(), error.Message);
        Assert.Contains("table", error.Message);

        await f.CloseAsync();
        f.OpenStoreAndIndex();
        using var key = MasterKey.FromKeyFile(f.KeyFile);
        var report = await Bunker.Storage.Repository.RebuildIndexAsync(f.Store, f.Index, key);
        Assert.Contains(report.Problems, p => p.Contains(at.Pack.ToString()));
        Assert.Equal(0, report.Packs);
    }

    [Fact]
    public async Task ATruncatedPackNamesThePackAndTheChunk()
    {
        var (f, digest, at, path) = await OneChunkAsync();
        await using var _ = f;
        using (var stream = new FileStream(path, FileMode.Open))
            stream.SetLength(at.Offset + at.StoredLength / 2);

        var error = await Assert.ThrowsAsync<PackTruncatedException>(() => f.Repository.GetAsync(digest));
        Assert.Contains(at.Pack.ToString(), error.Message);
        Assert.Contains(digest.ToString(), error.Message);
        var tableError = await Assert.ThrowsAsync<PackTruncatedException>(() => PackReader.ReadTableAsync(f.Store, at.Pack, f.Repository.Cipher));
        Assert.Contains("truncated", tableError.Message);
        var check = await f.Repository.CheckAsync();
        Assert.Contains(check.Damaged, d => d.Contains(at.Pack.ToString()));
    }

    [Fact]
    public async Task AMissingPackNamesThePackAndTheChunk()
    {
        var (f, digest, at, path) = await OneChunkAsync();
        await using var _ = f;
        File.Delete(path);

        var error = await Assert.ThrowsAsync<PackMissingException>(() => f.Repository.GetAsync(digest));
        Assert.Contains(at.Pack.ToString(), error.Message);
        Assert.Contains(digest.ToString(), error.Message);
        var check = await f.Repository.CheckAsync();
        Assert.Contains(at.Pack.ToString(), check.MissingPacks);
        Assert.False(check.IsHealthy);
    }

    [Fact]
    public async Task AWrongMasterKeyIsNamedAsSuch()
    {
        var (f, _, _, _) = await OneChunkAsync();
        await using var _ = f;
        await f.CloseAsync();
        f.OpenStoreAndIndex();
        var otherKey = Path.Combine(f.Root, "other.key");
        MasterKey.GenerateKeyFile(otherKey);
        using var wrong = MasterKey.FromKeyFile(otherKey);
        var error = await Assert.ThrowsAsync<WrongMasterKeyException>(() => Bunker.Storage.Repository.OpenAsync(f.Store, f.Index, wrong));
        Assert.Contains("master key", error.Message);
        await Assert.ThrowsAsync<WrongMasterKeyException>(() => Bunker.Storage.Repository.RebuildIndexAsync(f.Store, f.Index, wrong));
    }

    [Fact]
    public async Task APackFromAnotherRepositoryFailsAuthentication()
    {
        var (a, _, at, path) = await OneChunkAsync();
        await using var _ = a;
        await using var b = await RepositoryFixture.CreateAsync();
        var name = at.Pack.ToString();
        Directory.CreateDirectory(Path.Combine(b.StorePath, "packs", name[..2]));
        File.Copy(path, Path.Combine(b.StorePath, "packs", name[..2], name));
        var error = await Assert.ThrowsAsync<PackCorruptException>(() => PackReader.ReadTableAsync(b.Store, at.Pack, b.Repository.Cipher));
        Assert.Contains(name, error.Message);
    }
}
