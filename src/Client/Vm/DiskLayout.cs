using Bunker.Chunking;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;
using Google.Protobuf;

namespace Bunker.Client.Vm;

/// <summary>
/// A disk archive's index, checked and arranged for a restore: each distinct chunk with the offsets it fills, and
/// the holes (the index checked by <see cref="VmSnapshots.ReadIndexAsync"/>).
/// </summary>
internal sealed class DiskLayout
{
    private readonly Dictionary<ChunkDigest, List<long>> _offsets = [];
    private readonly List<ChunkDigest> _digests = [];
    private readonly List<(long Offset, long Length)> _holes = [];

    public IReadOnlyList<ChunkDigest> Digests => _digests;
    public IReadOnlyList<(long Offset, long Length)> Holes => _holes;
    public long HoleBytes { get; private set; }

    public IReadOnlyList<long> OffsetsOf(in ChunkDigest digest) => _offsets[digest];

    public static async Task<DiskLayout> ReadAsync(Repository.RepositoryClient client, string repository, ByteString snapshotId, string disk, long size,
        CallOptions options, CancellationToken cancellationToken)
    {
        var layout = new DiskLayout();
        await foreach (var entry in VmSnapshots.ReadIndexAsync(client, repository, snapshotId, disk, size, options, cancellationToken).ConfigureAwait(false))
        {
            if (entry.Digest.IsHole)
            {
                layout.AddHole(entry.Offset, entry.Length);
                continue;
            }
            if (!layout._offsets.TryGetValue(entry.Digest, out var offsets))
            {
                layout._offsets[entry.Digest] = offsets = [];
                layout._digests.Add(entry.Digest);
            }
            offsets.Add(entry.Offset);
        }
        return layout;
    }

    private void AddHole(long offset, long length)
    {
        HoleBytes += length;
        if (_holes.Count > 0 && _holes[^1].Offset + _holes[^1].Length == offset)
            _holes[^1] = (_holes[^1].Offset, _holes[^1].Length + length);
        else
            _holes.Add((offset, length));
    }
}
