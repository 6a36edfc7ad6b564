using Bunker.Chunking;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;

namespace Bunker.Client.Restore;

// TEMPORARY until ChunkLocator lands: the real one asks the server (LocateChunks) and sorts by pack
// locality. This stand-in has its signature and returns the distinct digests in first-use order.
internal static class ChunkLocator
{
    public static Task<ChunkDigest[]> OrderByLocalityAsync(Repository.RepositoryClient client, string repository, IReadOnlyList<ChunkDigest> digests,
        CallOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(digests);
        var seen = new HashSet<ChunkDigest>(digests.Count);
        var distinct = new List<ChunkDigest>(digests.Count);
        foreach (var digest in digests)
        {
            if (seen.Add(digest)) distinct.Add(digest);
        }
        return Task.FromResult(distinct.ToArray());
    }
}
