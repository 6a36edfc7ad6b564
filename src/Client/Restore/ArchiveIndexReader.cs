using System.Runtime.CompilerServices;
using Bunker.Chunking;
using Bunker.Client.Wire;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;
using Google.Protobuf;

namespace Bunker.Client.Restore;

/// <summary>One entry of an archive's chunk list: the chunk, its length, and where its bytes start in the archive.</summary>
public readonly record struct ArchiveEntry(ChunkDigest Digest, int Length, long Offset);

/// <summary>Reads an archive's chunk list (ReadArchiveIndex) in order.</summary>
public static class ArchiveIndexReader
{
    /// <exception cref="RpcException">NOT_FOUND for an unknown snapshot or archive, or another error of the call.</exception>
    /// <exception cref="InvalidDataException">A page is malformed or out of order.</exception>
    public static async IAsyncEnumerable<ArchiveEntry> ReadAsync(Repository.RepositoryClient client, string repository, ByteString snapshotId,
        string archive, CallOptions options, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var request = new ReadArchiveIndexRequest { Repository = repository, SnapshotId = snapshotId, Archive = archive };
        using var call = client.ReadArchiveIndex(request, options);
        ulong next = 0;
        long offset = 0;
        while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            var page = call.ResponseStream.Current;
            if (page.Entries.Length % ChunkEntryLayout.Size != 0 || page.FirstEntry != next || page.FirstOffset != (ulong)offset)
                throw new InvalidDataException($"archive '{archive}': a page of the index does not continue at entry {next}, offset {offset}");
            int count = page.Entries.Length / ChunkEntryLayout.Size;
            for (int i = 0; i < count; i++)
            {
                var (digest, length) = ChunkEntryLayout.Read(page.Entries.Span, i);
                if (length is 0 or > ChunkEntryLayout.MaxLength)
                    throw new InvalidDataException($"archive '{archive}': entry {next + (ulong)i} has length {length}; an entry holds 1 to {ChunkEntryLayout.MaxLength} bytes");
                yield return new ArchiveEntry(digest, (int)length, offset);
                offset += length;
            }
            next += (ulong)count;
        }
    }
}
