using System.Collections.Concurrent;
using System.Security.Cryptography;
using Bunker.Chunking;
using Bunker.Index;
using Bunker.Storage.Crypto;

namespace Bunker.Storage.Tests.Crypto;

public sealed class ChunkCipherTests : IDisposable
{
    private static readonly RepositoryId Repo = RepositoryId.New();
    private readonly DataKey _key = DataKey.Generate();
    private readonly ChunkCipher _cipher;

    public ChunkCipherTests() => _cipher = new ChunkCipher(_key, Repo);

    public void Dispose()
    {
        _cipher.Dispose();
        _key.Dispose();
    }

    private static (byte[] Plaintext, ChunkDigest Digest) Chunk(int length)
    {
        byte[] plaintext = RandomNumberGenerator.GetBytes(length);
        return (plaintext, ChunkDigest.Compute(plaintext));
    }

    private byte[] Seal(byte[] plaintext, ChunkDigest digest)
    {
        var record = new byte[ChunkCipher.SealedLength(plaintext.Length)];
        Assert.Equal(record.Length, _cipher.SealChunk(plaintext, digest, record));
        return record;
    }

    private static byte[] Open(ChunkCipher cipher, byte[] record, ChunkDigest digest)
    {
        var plaintext = new byte[ChunkCipher.PlaintextLength(record.Length)];
        cipher.OpenChunk(record, digest, plaintext);
        return plaintext;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(8 * 1024 * 1024)]
    public void Sealed_chunk_opens_to_its_plaintext(int length)
    {
        var (plaintext, digest) = Chunk(length);
        byte[] record = Seal(plaintext, digest);

        Assert.Equal(length + ChunkCipher.Overhead, record.Length);
        Assert.Equal(plaintext, Open(_cipher, record, digest));
    }

    [Fact]
    public void Record_layout_is_nonce_ciphertext_tag_under_aes_gcm_with_digest_and_repository_as_associated_data()
    {
        var (plaintext, digest) = Chunk(64);
        byte[] record = Seal(plaintext, digest);

        byte[] ad = [.. digest.ToArray(), .. Repo.ToArray()];
        var opened = new byte[plaintext.Length];
        using var aes = new AesGcm(_key.Bytes, 16);
        aes.Decrypt(record.AsSpan(0, 12), record.AsSpan(12, 64), record.AsSpan(76, 16), opened, ad);
        Assert.Equal(plaintext, opened);
    }

    [Fact]
    public void Flipping_any_single_byte_of_a_record_fails_authentication()
    {
        var (plaintext, digest) = Chunk(100);
        byte[] record = Seal(plaintext, digest);

        for (int i = 0; i < record.Length; i++)
        {
            byte[] altered = (byte[])record.Clone();
            altered[i] ^= (byte)(1 << (i % 8));
            var ex = Assert.Throws<ChunkAuthenticationException>(() => Open(_cipher, altered, digest));
            Assert.Contains(Repo.ToString(), ex.Message);
            Assert.Contains(digest.ToString(), ex.Message);
        }
    }

    [Fact]
    public void A_record_does_not_open_as_another_chunk()
    {
        var (plaintext, digest) = Chunk(100);
        byte[] record = Seal(plaintext, digest);
        Assert.Throws<ChunkAuthenticationException>(() => Open(_cipher, record, Chunk(1).Digest));
    }

    [Fact]
    public void A_record_does_not_open_in_another_repository_even_under_the_same_key()
    {
        var (plaintext, digest) = Chunk(100);
        byte[] record = Seal(plaintext, digest);
        using var other = new ChunkCipher(_key, RepositoryId.New());
        Assert.Throws<ChunkAuthenticationException>(() => Open(other, record, digest));
    }

    [Fact]
    public void A_record_does_not_open_under_another_data_key()
    {
        var (plaintext, digest) = Chunk(100);
        byte[] record = Seal(plaintext, digest);
        using var otherKey = DataKey.Generate();
        using var other = new ChunkCipher(otherKey, Repo);
        Assert.Throws<ChunkAuthenticationException>(() => Open(other, record, digest));
    }

    [Fact]
    public void Two_seals_of_the_same_chunk_use_different_nonces()
    {
        var (plaintext, digest) = Chunk(100);
        byte[] first = Seal(plaintext, digest), second = Seal(plaintext, digest);
        Assert.NotEqual(first.AsSpan(0, 12).ToArray(), second.AsSpan(0, 12).ToArray());
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void A_record_shorter_than_the_overhead_is_refused_clearly()
    {
        var ex = Assert.Throws<InvalidDataException>(() =>
            _cipher.OpenChunk(new byte[ChunkCipher.Overhead - 1], Chunk(1).Digest, Span<byte>.Empty));
        Assert.Contains("shorter than", ex.Message);
    }

    [Fact]
    public void Buffers_of_the_wrong_size_are_argument_errors()
    {
        var (plaintext, digest) = Chunk(100);
        Assert.Throws<ArgumentException>(() => _cipher.SealChunk(plaintext, digest, new byte[plaintext.Length + ChunkCipher.Overhead - 1]));
        byte[] record = Seal(plaintext, digest);
        Assert.Throws<ArgumentException>(() => _cipher.OpenChunk(record, digest, new byte[99]));
    }

    [Fact]
    public void Objects_sealed_in_a_domain_open_only_in_that_domain_and_repository()
    {
        byte[] table = RandomNumberGenerator.GetBytes(1000);
        var record = new byte[ChunkCipher.SealedLength(table.Length)];
        _cipher.Seal(table, "bunker/pack-table/v1"u8, record);

        var opened = new byte[table.Length];
        _cipher.Open(record, "bunker/pack-table/v1"u8, opened);
        Assert.Equal(table, opened);

        var ex = Assert.Throws<ChunkAuthenticationException>(() => _cipher.Open(record, "bunker/manifest/v1"u8, opened));
        Assert.Contains("bunker/manifest/v1", ex.Message);
        using var other = new ChunkCipher(_key, RepositoryId.New());
        Assert.Throws<ChunkAuthenticationException>(() => other.Open(record, "bunker/pack-table/v1"u8, opened));
        record[^1] ^= 1;
        Assert.Throws<ChunkAuthenticationException>(() => _cipher.Open(record, "bunker/pack-table/v1"u8, opened));
    }

    [Fact]
    public void Empty_or_oversized_domains_are_refused()
    {
        var record = new byte[ChunkCipher.Overhead];
        Assert.Throws<ArgumentException>(() => _cipher.Seal([], [], record));
        Assert.Throws<ArgumentException>(() => _cipher.Seal([], new byte[ChunkCipher.MaxDomainLength + 1], record));
    }

    [Fact]
    public void Sealing_from_many_threads_at_once_is_correct()
    {
        const int threads = 8, perThread = 500;
        var nonces = new ConcurrentDictionary<string, bool>();
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _ =>
        {
            for (int i = 0; i < perThread; i++)
            {
                var (plaintext, digest) = Chunk(1 + i % 300);
                byte[] record = Seal(plaintext, digest);
                Assert.True(nonces.TryAdd(Convert.ToHexString(record, 0, 12), true), "a nonce repeated");
                Assert.Equal(plaintext, Open(_cipher, record, digest));
            }
        });
        Assert.Equal(threads * perThread, nonces.Count);
    }

    [Fact]
    public void Sealing_and_opening_allocate_nothing_once_warm()
    {
        var (plaintext, digest) = Chunk(4096);
        var record = new byte[ChunkCipher.SealedLength(plaintext.Length)];
        var opened = new byte[plaintext.Length];
        _cipher.SealChunk(plaintext, digest, record);
        _cipher.OpenChunk(record, digest, opened);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            _cipher.SealChunk(plaintext, digest, record);
            _cipher.OpenChunk(record, digest, opened);
            _cipher.Seal(plaintext, "bunker/pack-table/v1"u8, record);
            _cipher.Open(record, "bunker/pack-table/v1"u8, opened);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void A_disposed_cipher_refuses_to_work()
    {
        var (plaintext, digest) = Chunk(10);
        var cipher = new ChunkCipher(_key, Repo);
        cipher.Dispose();
        Assert.Throws<ObjectDisposedException>(() => cipher.SealChunk(plaintext, digest, new byte[100]));
    }
}
