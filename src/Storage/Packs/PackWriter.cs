using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using Bunker.Chunking;
using Bunker.Index;
using Bunker.Storage.Buffers;
using Bunker.Storage.Crypto;

namespace Bunker.Storage.Packs;

/// <summary>
/// Builds one pack in a pooled in-memory buffer: chunks are encrypted straight into it, and
/// <see cref="Seal"/> appends the encrypted table and footer and names the pack. Not thread-safe;
/// the repository gives each writer to one caller at a time. The buffer goes back to the pool
/// on <see cref="Reset"/>; <see cref="LargeBufferPool.Packs"/> keeps only a few idle ones.
/// </summary>
public sealed class PackWriter
{
    private readonly RepositoryId _repository;
    private readonly ChunkCipher _cipher;
    private readonly int _targetSize;
    private readonly List<PackEntry> _entries = new();
    private byte[]? _buffer;
    private int _length;

    public PackWriter(RepositoryId repository, ChunkCipher cipher, int targetSize = PackFormat.DefaultTargetSize)
    {
        if (targetSize < 1 << 16 || targetSize > PackFormat.MaxTargetSize)
            throw new ArgumentOutOfRangeException(nameof(targetSize), targetSize, $"a pack target size must be between 64 KiB and {PackFormat.MaxTargetSize >> 20} MiB");
        _repository = repository;
        _cipher = cipher;
        _targetSize = targetSize;
    }

    public int Count => _entries.Count;
    public bool IsEmpty => _entries.Count == 0;
    /// <summary>Bytes written so far: header plus chunk records.</summary>
    public int Length => _length;
    /// <summary>True once the pack has reached its target size and should be sealed.</summary>
    public bool IsFull => _length >= _targetSize;
    public IReadOnlyList<PackEntry> Entries => _entries;

    /// <summary>Whether a chunk of <paramref name="encodedLength"/> bytes still fits in this pack's buffer.</summary>
    public bool Fits(int encodedLength) => _length + encodedLength + ChunkCipher.Overhead <= Capacity;

    private int Capacity => _targetSize + PackFormat.MaxChunkSize + ChunkCipher.Overhead + PackFormat.HeaderSize;

    /// <summary>Encrypts <paramref name="encoded"/> (the chunk after compression, or raw) into the pack.</summary>
    public PackEntry Add(in ChunkDigest digest, ReadOnlySpan<byte> encoded, ChunkCodec codec, int rawLength)
    {
        if ((uint)rawLength > PackFormat.MaxChunkSize)
            throw new ArgumentOutOfRangeException(nameof(rawLength), rawLength, $"a chunk may hold at most {PackFormat.MaxChunkSize} bytes");
        if (encoded.Length > PackFormat.MaxChunkSize)
            throw new ArgumentOutOfRangeException(nameof(encoded), encoded.Length, $"an encoded chunk may hold at most {PackFormat.MaxChunkSize} bytes");
        if (!Fits(encoded.Length))
            throw new InvalidOperationException("the pack is full; seal it before adding more");
        EnsureStarted();

        int written = _cipher.SealChunk(encoded, digest, _buffer.AsSpan(_length));
        var entry = new PackEntry(digest, (uint)_length, (uint)written, (uint)rawLength, codec);
        _entries.Add(entry);
        _length += written;
        return entry;
    }

    /// <summary>
    /// Finishes the pack: appends its encrypted table and the footer and hashes the whole to name it.
    /// The returned bytes stay valid until <see cref="Reset"/>.
    /// </summary>
    public SealedPack Seal(DateTimeOffset created)
    {
        if (IsEmpty)
            throw new InvalidOperationException("an empty pack cannot be sealed");

        int tablePlainLength = PackFormat.TableHeaderSize + _entries.Count * PackFormat.EntrySize;
        int total = _length + tablePlainLength + ChunkCipher.Overhead + PackFormat.FooterSize;
        if (total > _buffer!.Length)
            Grow(total);

        byte[] plain = ArrayPool<byte>.Shared.Rent(tablePlainLength);
        try
        {
            Span<byte> table = plain.AsSpan(0, tablePlainLength);
            table[0] = PackFormat.TableVersion;
            BinaryPrimitives.WriteInt64LittleEndian(table[1..], created.ToUnixTimeMilliseconds());
            BinaryPrimitives.WriteInt32LittleEndian(table[9..], _entries.Count);
            int at = PackFormat.TableHeaderSize;
            foreach (var entry in _entries)
            {
                PackFormat.WriteEntry(table[at..], entry);
                at += PackFormat.EntrySize;
            }
            int sealedLength = _cipher.Seal(table, PackFormat.TableDomain, _buffer.AsSpan(_length));
            _length += sealedLength;

            Span<byte> footer = _buffer.AsSpan(_length, PackFormat.FooterSize);
            BinaryPrimitives.WriteInt32LittleEndian(footer, sealedLength);
            BinaryPrimitives.WriteInt32LittleEndian(footer[4..], _entries.Count);
            PackFormat.FooterMagic.CopyTo(footer[8..]);
            _length += PackFormat.FooterSize;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(plain);
        }

        var bytes = new ReadOnlyMemory<byte>(_buffer, 0, _length);
        var id = PackId.FromHash(ChunkDigest.Compute(bytes.Span));
        return new SealedPack(id, bytes, _entries, DateTimeOffset.FromUnixTimeMilliseconds(created.ToUnixTimeMilliseconds()));
    }

    /// <summary>Empties the writer for the next pack and hands its buffer back to the pool.</summary>
    public void Reset()
    {
        _entries.Clear();
        _length = 0;
        if (_buffer is not null)
        {
            LargeBufferPool.Packs.Return(_buffer);
            _buffer = null;
        }
    }

    private void EnsureStarted()
    {
        if (_buffer is not null)
            return;
        _buffer = LargeBufferPool.Packs.Rent(Capacity);
        PackFormat.HeaderMagic.CopyTo(_buffer);
        _repository.CopyTo(_buffer.AsSpan(8, RepositoryId.Size));
        _length = PackFormat.HeaderSize;
    }

    private void Grow(int needed)
    {
        byte[] bigger = LargeBufferPool.Packs.Rent(needed);
        _buffer.AsSpan(0, _length).CopyTo(bigger);
        LargeBufferPool.Packs.Return(_buffer!);
        _buffer = bigger;
    }
}

/// <summary>A finished pack: its name, bytes and table. Valid until its writer is reset.</summary>
public sealed record SealedPack(PackId Id, ReadOnlyMemory<byte> Bytes, IReadOnlyList<PackEntry> Entries, DateTimeOffset Created);
