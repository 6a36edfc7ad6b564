using System.Buffers;
using System.Buffers.Binary;
using Bunker.Chunking;
using Bunker.Chunking.Compression;
using Bunker.Index;
using Bunker.Storage.Crypto;
using Bunker.Storage.Stores;

namespace Bunker.Storage.Packs;

/// <summary>What a pack's own table says about it.</summary>
public sealed record PackTableContents(PackId Pack, long PackSize, DateTimeOffset Created, IReadOnlyList<PackEntry> Entries);

/// <summary>
/// Reads packs back. Every failure becomes a <see cref="PackException"/> that names the pack and,
/// where one is involved, the chunk: a reader never returns bytes it has not authenticated and
/// hashed back to the digest it was asked for.
/// </summary>
public static class PackReader
{
    /// <summary>Reads and authenticates a pack's table with two range reads (footer, then table).</summary>
    public static async Task<PackTableContents> ReadTableAsync(IPackStore store, PackId pack, ChunkCipher cipher, CancellationToken cancellationToken = default)
    {
        string name = pack.ToString();
        long size = await store.GetSizeAsync(StoreObjectKind.Pack, name, cancellationToken).ConfigureAwait(false)
            ?? throw new PackMissingException(pack, null);
        if (size < PackFormat.HeaderSize + PackFormat.FooterSize)
            throw new PackTruncatedException(pack, null, $"it has only {size} bytes, less than a header and footer");

        byte[] footer = new byte[PackFormat.FooterSize];
        await ReadAsync(store, pack, null, size - PackFormat.FooterSize, footer, cancellationToken).ConfigureAwait(false);
        int sealedLength = CheckFooter(pack, footer, size);

        byte[] sealedTable = ArrayPool<byte>.Shared.Rent(sealedLength);
        try
        {
            long tableStart = size - PackFormat.FooterSize - sealedLength;
            await ReadAsync(store, pack, null, tableStart, sealedTable.AsMemory(0, sealedLength), cancellationToken).ConfigureAwait(false);
            return OpenTable(pack, size, tableStart, sealedTable.AsSpan(0, sealedLength), cipher);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(sealedTable);
        }
    }

    /// <summary>Parses the table of a pack held whole in memory (verification, rebuild of a fetched copy).</summary>
    public static PackTableContents ParseTable(PackId pack, ReadOnlySpan<byte> packBytes, ChunkCipher cipher)
    {
        if (packBytes.Length < PackFormat.HeaderSize + PackFormat.FooterSize)
            throw new PackTruncatedException(pack, null, $"it has only {packBytes.Length} bytes, less than a header and footer");
        int sealedLength = CheckFooter(pack, packBytes[^PackFormat.FooterSize..], packBytes.Length);
        int tableStart = packBytes.Length - PackFormat.FooterSize - sealedLength;
        return OpenTable(pack, packBytes.Length, tableStart, packBytes.Slice(tableStart, sealedLength), cipher);
    }

    /// <summary>Reads one chunk's record through the store and decodes it into a new array.</summary>
    public static async Task<byte[]> ReadChunkAsync(IPackStore store, ChunkDigest digest, ChunkLocation location, ChunkCipher cipher, CancellationToken cancellationToken = default)
    {
        CheckLocation(digest, location);
        byte[] record = ArrayPool<byte>.Shared.Rent((int)location.StoredLength);
        try
        {
            await ReadAsync(store, location.Pack, digest, location.Offset, record.AsMemory(0, (int)location.StoredLength), cancellationToken).ConfigureAwait(false);
            var raw = new byte[location.RawLength];
            DecodeChunk(digest, location, record.AsSpan(0, (int)location.StoredLength), cipher, raw);
            return raw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(record);
        }
    }

    /// <summary>
    /// Refuses a location no writer could have produced, before any buffer is sized from it: the
    /// index is only a cache, and a damaged one must not ask for an unbounded read.
    /// </summary>
    internal static void CheckLocation(in ChunkDigest digest, in ChunkLocation location)
    {
        if (location.StoredLength < ChunkCipher.Overhead || location.StoredLength > PackFormat.MaxChunkSize + ChunkCipher.Overhead
            || location.RawLength > PackFormat.MaxChunkSize
            || (location.Codec == ChunkCodec.None && location.StoredLength - ChunkCipher.Overhead != location.RawLength))
            throw new PackCorruptException(location.Pack, digest, $"the index gives impossible lengths (stored {location.StoredLength}, raw {location.RawLength})");
    }

    /// <summary>
    /// Decrypts one chunk record into <paramref name="encoded"/> (record length minus the overhead):
    /// the chunk's stored encoding, authenticated against its digest and repository.
    /// </summary>
    internal static void OpenRecord(in ChunkDigest digest, PackId pack, ReadOnlySpan<byte> record, ChunkCipher cipher, Span<byte> encoded)
    {
        try
        {
            cipher.OpenChunk(record, digest, encoded);
        }
        catch (BunkerCryptoException e)
        {
            throw new PackCorruptException(pack, digest, "authentication failed: its stored bytes were altered or damaged, or were written under another key", e);
        }
    }

    /// <summary>
    /// Decrypts and decodes one chunk record into <paramref name="raw"/> (exactly RawLength bytes),
    /// then checks that the bytes hash to <paramref name="digest"/>.
    /// </summary>
    public static void DecodeChunk(in ChunkDigest digest, in ChunkLocation location, ReadOnlySpan<byte> record, ChunkCipher cipher, Span<byte> raw)
    {
        var pack = location.Pack;
        if (raw.Length != location.RawLength)
            throw new ArgumentException("the output must be exactly the chunk's raw length", nameof(raw));
        int encodedLength = record.Length - ChunkCipher.Overhead;
        if (encodedLength < 0)
            throw new PackCorruptException(pack, digest, $"its record has {record.Length} bytes, less than the encryption overhead");
        // A chunk stored raw decrypts straight into the output; only a compressed one needs scratch.
        bool direct = location.Codec == ChunkCodec.None && encodedLength == raw.Length;
        byte[]? scratch = direct ? null : ArrayPool<byte>.Shared.Rent(Math.Max(encodedLength, 1));
        try
        {
            Span<byte> encoded = direct ? raw : scratch.AsSpan(0, encodedLength);
            OpenRecord(digest, pack, record, cipher, encoded);
            if (!direct)
            {
                try
                {
                    ChunkCompressor.Decompress(location.Codec, encoded, raw);
                }
                catch (InvalidDataException e)
                {
                    throw new PackCorruptException(pack, digest, $"it does not decode: {e.Message}", e);
                }
            }
        }
        finally
        {
            if (scratch is not null)
                ArrayPool<byte>.Shared.Return(scratch);
        }
        // Authentication already binds the bytes to the digest; hashing again costs little and
        // catches a bug in any layer above, which is the point of a backup tool.
        if (ChunkDigest.Compute(raw) != digest)
            throw new PackCorruptException(pack, digest, "its content does not hash to its digest");
    }

    /// <summary>Fills <paramref name="destination"/> from a pack, turning store errors into pack errors that name the pack and chunk.</summary>
    internal static async Task ReadAsync(IPackStore store, PackId pack, ChunkDigest? chunk, long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        try
        {
            await store.ReadRangeAsync(StoreObjectKind.Pack, pack.ToString(), offset, destination, cancellationToken).ConfigureAwait(false);
        }
        catch (StoreObjectNotFoundException e)
        {
            throw new PackMissingException(pack, chunk, e);
        }
        catch (StoreObjectTruncatedException e)
        {
            throw new PackTruncatedException(pack, chunk, $"it has {e.Size} bytes but the read of [{offset}, {offset + destination.Length}) needs {e.WantedEnd}", e);
        }
    }

    private static int CheckFooter(PackId pack, ReadOnlySpan<byte> footer, long size)
    {
        if (!footer[8..].SequenceEqual(PackFormat.FooterMagic))
            throw new PackTruncatedException(pack, null, "its footer is missing: the pack is truncated or is not a pack");
        int sealedLength = BinaryPrimitives.ReadInt32LittleEndian(footer);
        int count = BinaryPrimitives.ReadInt32LittleEndian(footer[4..]);
        long room = size - PackFormat.HeaderSize - PackFormat.FooterSize;
        long expected = (long)PackFormat.TableHeaderSize + (long)count * PackFormat.EntrySize + ChunkCipher.Overhead;
        if (count < 0 || sealedLength != expected || sealedLength > room)
            throw new PackCorruptException(pack, null, $"its footer is inconsistent (table {sealedLength} bytes for {count} chunks in a {size}-byte pack)");
        return sealedLength;
    }

    private static PackTableContents OpenTable(PackId pack, long size, long tableStart, ReadOnlySpan<byte> sealedTable, ChunkCipher cipher)
    {
        int plainLength = sealedTable.Length - ChunkCipher.Overhead;
        byte[] plain = ArrayPool<byte>.Shared.Rent(plainLength);
        try
        {
            try
            {
                cipher.Open(sealedTable, PackFormat.TableDomain, plain.AsSpan(0, plainLength));
            }
            catch (BunkerCryptoException e)
            {
                throw new PackCorruptException(pack, null, "its chunk table fails authentication: the pack was altered or damaged, or belongs to another repository or key", e);
            }
            return ParsePlainTable(pack, size, tableStart, plain.AsSpan(0, plainLength));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(plain);
        }
    }

    private static PackTableContents ParsePlainTable(PackId pack, long size, long tableStart, ReadOnlySpan<byte> table)
    {
        if (table[0] != PackFormat.TableVersion)
            throw new PackCorruptException(pack, null, $"its table has unknown version {table[0]}");
        var created = DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64LittleEndian(table[1..]));
        int count = BinaryPrimitives.ReadInt32LittleEndian(table[9..]);
        if (count < 0 || PackFormat.TableHeaderSize + (long)count * PackFormat.EntrySize != table.Length)
            throw new PackCorruptException(pack, null, "its table's entry count does not match its length");

        var entries = new PackEntry[count];
        long next = PackFormat.HeaderSize;
        for (int i = 0; i < count; i++)
        {
            var entry = PackFormat.ReadEntry(table.Slice(PackFormat.TableHeaderSize + i * PackFormat.EntrySize, PackFormat.EntrySize));
            // The table is authenticated, so this guards against our own bugs and future formats,
            // not attackers; still, nothing downstream should ever see an impossible entry.
            if (entry.Offset != next || entry.StoredLength < ChunkCipher.Overhead || entry.Offset + (long)entry.StoredLength > tableStart
                || entry.RawLength > PackFormat.MaxChunkSize || !Enum.IsDefined(entry.Codec))
                throw new PackCorruptException(pack, entry.Digest, $"its table entry {i} is impossible (offset {entry.Offset}, stored {entry.StoredLength}, raw {entry.RawLength}, codec {(byte)entry.Codec})");
            next = entry.Offset + (long)entry.StoredLength;
            entries[i] = entry;
        }
        if (next != tableStart)
            throw new PackCorruptException(pack, null, "its records do not end where its table begins");
        return new PackTableContents(pack, size, created, entries);
    }
}
