using System.CommandLine;
using Bunker.Client.Connection;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;

namespace Bunker.Client.Commands;

/// <summary>
/// A SNAPSHOT argument: a full 64-digit id, a unique hex prefix (at least 4 digits), or <c>latest</c>
/// (the newest snapshot matching the command's --host, --tag and --path). Every command that takes a
/// snapshot resolves it here, so they all accept and refuse the same names in the same words.
/// </summary>
internal static class SnapshotArgument
{
    public const string Latest = "latest";

    public static Argument<string> Create(string name = "SNAPSHOT", string? description = null) => new(name)
    {
        Description = description ?? "a snapshot id, a unique prefix of it (4+ hex digits), or 'latest'",
    };

    /// <summary>The repository a command works in: --repo, else $BUNKER_REPOSITORY.</summary>
    public static string Repository(CommandCall call) => call.Connection.Settings.Repository
        ?? throw new UsageException($"no repository: pass --repo or set {ConnectionSettings.RepositoryVariable}");

    /// <summary>
    /// The snapshot <paramref name="text"/> names. For <c>latest</c>, the newest of those matching
    /// <paramref name="sourceKind"/>, <paramref name="host"/>, <paramref name="paths"/> and <paramref name="tags"/>;
    /// an id or prefix is taken as it is, and must then be of <paramref name="sourceKind"/> (when given).
    /// </summary>
    /// <exception cref="UsageException">The text is not an id, a prefix or <c>latest</c>.</exception>
    /// <exception cref="CommandFailedException">No such snapshot, an ambiguous prefix, nothing matches, or a snapshot of another kind.</exception>
    public static async Task<SnapshotInfo> ResolveAsync(CommandCall call, string text, string? sourceKind, string? host = null,
        IReadOnlyList<string>? paths = null, IReadOnlyList<string>? tags = null, string? sourceId = null)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(text);
        string repository = Repository(call);
        text = text.Trim();
        var filter = new SnapshotFilter(host ?? "", tags ?? [], paths ?? [], sourceKind ?? "") { SourceId = sourceId ?? "" };
        if (text == Latest)
            return await LatestAsync(call, repository, filter);

        if (text.Length is < 4 or > 64 || !text.All(char.IsAsciiHexDigit))
            throw new UsageException($"'{text}' is not a snapshot: give its hex id, a unique prefix of at least 4 hex digits, or '{Latest}'");
        SnapshotInfo snapshot;
        try
        {
            snapshot = await call.Connection.Repository.GetSnapshotAsync(new GetSnapshotRequest { Repository = repository, Snapshot = text }, call.Options());
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound && e.Status.Detail == "snapshot not found")
        {
            throw new CommandFailedException($"no snapshot '{text}' in repository '{repository}'");
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.FailedPrecondition)
        {
            // The server names how many snapshots the prefix matches.
            throw new CommandFailedException(e.Status.Detail);
        }
        if (filter.Kind.Length > 0 && snapshot.SourceKind != filter.Kind)
            throw new CommandFailedException($"snapshot {ShortId(snapshot)} is a '{snapshot.SourceKind}' snapshot; this command works on '{filter.Kind}' snapshots");
        return snapshot;
    }

    /// <summary>Snapshots of <paramref name="repository"/> matching <paramref name="filter"/>, oldest first.</summary>
    public static async Task<List<SnapshotInfo>> ListAsync(CommandCall call, string repository, SnapshotFilter filter)
    {
        var request = new ListSnapshotsRequest { Repository = repository, Host = filter.Host, SourceKind = filter.Kind, SourceId = filter.SourceId };
        request.Tags.AddRange(filter.Tags);
        var snapshots = new List<SnapshotInfo>();
        using var list = call.Connection.Repository.ListSnapshots(request, call.Options());
        while (await list.ResponseStream.MoveNext(call.CancellationToken))
        {
            if (filter.MatchesPaths(list.ResponseStream.Current)) snapshots.Add(list.ResponseStream.Current);
        }
        return snapshots;
    }

    /// <summary>The first 8 hex digits of the id: what tables and messages show.</summary>
    public static string ShortId(SnapshotInfo snapshot) => Convert.ToHexStringLower(snapshot.Id.Span)[..8];

    public static string FullId(SnapshotInfo snapshot) => Convert.ToHexStringLower(snapshot.Id.Span);

    private static async Task<SnapshotInfo> LatestAsync(CommandCall call, string repository, SnapshotFilter filter)
    {
        if (filter.Paths.Count > 0)
        {
            // The server cannot filter by path, so pick the newest here (the list is oldest first; ties go to the later).
            SnapshotInfo? newest = null;
            foreach (var snapshot in await ListAsync(call, repository, filter))
            {
                if (newest is null || snapshot.TimeUnixNanos >= newest.TimeUnixNanos) newest = snapshot;
            }
            return newest ?? throw NothingMatches(repository, filter);
        }
        var request = new GetSnapshotRequest { Repository = repository, Snapshot = Latest, Host = filter.Host, SourceKind = filter.Kind, SourceId = filter.SourceId };
        request.Tags.AddRange(filter.Tags);
        try
        {
            return await call.Connection.Repository.GetSnapshotAsync(request, call.Options());
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound && e.Status.Detail == "no snapshot matches")
        {
            throw NothingMatches(repository, filter);
        }
    }

    private static CommandFailedException NothingMatches(string repository, SnapshotFilter filter) =>
        new($"no snapshot in repository '{repository}' matches '{Latest}'{filter.Describe()}");
}
