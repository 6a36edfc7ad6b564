using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;

namespace Bunker.Client.Commands;

/// <summary>
/// Finds the files snapshot a command names: a full id, a unique prefix, or "latest" (optionally the latest of
/// a host, or of a backed-up path).
/// </summary>
internal static class FilesSnapshotLookup
{
    public const string SourceKind = "files";

    /// <summary>The repository the command works in; a usage error when neither --repo nor $BUNKER_REPOSITORY gives one.</summary>
    public static string Repository(CommandCall call) =>
        call.Connection.Settings.Repository
        ?? throw new UsageException("no repository: give --repo REPO or set BUNKER_REPOSITORY");

    /// <exception cref="UsageException">Filters given with an id, or the snapshot is not a files snapshot.</exception>
    /// <exception cref="RpcException">NOT_FOUND when nothing matches, or another error of the call.</exception>
    public static async Task<SnapshotInfo> FindAsync(CommandCall call, string repository, string snapshot, string? host, string? path)
    {
        bool latest = string.Equals(snapshot, "latest", StringComparison.Ordinal);
        if (!latest && (host is not null || path is not null))
            throw new UsageException("--host and --path choose among snapshots: they go with 'latest', not with a snapshot id");
        var client = call.Connection.Repository;
        if (latest && path is not null) return await LatestWithPathAsync(call, repository, host, path);
        var request = new GetSnapshotRequest { Repository = repository, Snapshot = snapshot };
        if (latest)
        {
            request.SourceKind = SourceKind;
            request.Host = host ?? "";
        }
        var found = await client.GetSnapshotAsync(request, call.Options());
        if (found.SourceKind != SourceKind)
            throw new UsageException($"snapshot {Convert.ToHexStringLower(found.Id.Span)} is a '{found.SourceKind}' snapshot, not a files snapshot");
        return found;
    }

    /// <summary>The newest files snapshot (of <paramref name="host"/>) whose backed-up paths include <paramref name="path"/>.</summary>
    private static async Task<SnapshotInfo> LatestWithPathAsync(CommandCall call, string repository, string? host, string path)
    {
        string wanted = Normalize(path);
        var request = new ListSnapshotsRequest { Repository = repository, SourceKind = SourceKind, Host = host ?? "" };
        using var list = call.Connection.Repository.ListSnapshots(request, call.Options());
        SnapshotInfo? newest = null;
        while (await list.ResponseStream.MoveNext(call.CancellationToken))
        {
            var snapshot = list.ResponseStream.Current;
            bool matches = false;
            foreach (var backedUp in snapshot.Paths) matches |= Normalize(backedUp) == wanted;
            if (matches && (newest is null || snapshot.TimeUnixNanos >= newest.TimeUnixNanos)) newest = snapshot;
        }
        if (newest is null)
            throw new RpcException(new Status(StatusCode.NotFound, $"no files snapshot{(host is null ? "" : $" of host '{host}'")} backed up '{path}'"));
        // The list carries no manifest; the restore needs it.
        return await call.Connection.Repository.GetSnapshotAsync(
            new GetSnapshotRequest { Repository = repository, Snapshot = Convert.ToHexStringLower(newest.Id.Span) }, call.Options());
    }

    private static string Normalize(string path) => "/" + path.Trim('/');
}
