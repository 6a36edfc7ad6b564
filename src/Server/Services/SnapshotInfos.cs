using Bunker.Index;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;
using Google.Protobuf;
using StorageRepository = Bunker.Storage.Repository;

namespace Bunker.Server.Services;

/// <summary>Snapshot records as the wire shows them, and the ways a client may name one.</summary>
public static class SnapshotInfos
{
    public static SnapshotInfo From(SnapshotRecord record)
    {
        var manifest = SnapshotManifest.Parser.ParseFrom(record.Manifest);
        var info = new SnapshotInfo
        {
            Id = ByteString.CopyFrom(record.Id.ToArray()),
            Host = manifest.Host,
            SourceKind = manifest.SourceKind,
            SourceId = manifest.SourceId,
            TimeUnixNanos = manifest.TimeUnixNanos,
            CommittedUnixNanos = manifest.CommittedUnixNanos,
            Manifest = manifest,
        };
        info.Paths.AddRange(manifest.Paths);
        info.Tags.AddRange(manifest.Tags);
        ulong size = 0;
        foreach (var archive in manifest.Archives) size += archive.Size;
        info.Size = size;
        return info;
    }

    public static bool Matches(SnapshotInfo info, string host, string sourceKind, string sourceId, IReadOnlyCollection<string> tags)
    {
        if (host.Length > 0 && info.Host != host) return false;
        if (sourceKind.Length > 0 && info.SourceKind != sourceKind) return false;
        if (sourceId.Length > 0 && info.SourceId != sourceId) return false;
        foreach (var tag in tags)
        {
            if (!info.Tags.Contains(tag)) return false;
        }
        return true;
    }

    /// <summary>Resolves a full id, a unique hex prefix (at least 4 digits) or "latest" among the matching snapshots.</summary>
    public static SnapshotInfo Resolve(StorageRepository repository, GetSnapshotRequest request)
    {
        string text = request.Snapshot;
        if (!SnapshotNames.IsWellFormed(text, minPrefix: 4))
            throw ServiceErrors.Error(StatusCode.InvalidArgument, "a snapshot is named by its hex id, a unique prefix of at least 4 hex digits, or 'latest'");
        SnapshotRecord? match = null;
        int matches = 0;
        if (text == SnapshotNames.Latest)
        {
            // Through the index when host, kind and source are given: wal-fetch asks this for every segment.
            foreach (var record in repository.CandidateSnapshots(request.Host, request.SourceKind, request.SourceId))
            {
                if (Matches(From(record), request.Host, request.SourceKind, request.SourceId, request.Tags)) (match, matches) = (record, 1);
            }
        }
        else
        {
            match = SnapshotNames.Resolve(repository, text,
                record => Matches(From(record), request.Host, request.SourceKind, request.SourceId, request.Tags), out matches);
        }
        if (match is null)
            throw ServiceErrors.Error(StatusCode.NotFound, text == SnapshotNames.Latest ? "no snapshot matches" : "snapshot not found");
        if (matches > 1)
            throw ServiceErrors.Error(StatusCode.FailedPrecondition, $"'{text}' matches {matches} snapshots; give more of the id");
        return From(match);
    }

    public static SnapshotId ParseId(ByteString bytes)
    {
        if (bytes.Length != SnapshotId.Size)
            throw ServiceErrors.Error(StatusCode.InvalidArgument, $"a snapshot id is {SnapshotId.Size} bytes, got {bytes.Length}");
        return new SnapshotId(bytes.Span);
    }
}
