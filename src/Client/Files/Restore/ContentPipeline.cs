using Bunker.Chunking;
using Bunker.Client.Restore;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;

namespace Bunker.Client.Files.Restore;

/// <summary>
/// Turns the walk's content into batches and fetches them: each batch's chunks ordered by pack locality,
/// then read over N streams and written where they go. One batch is fetched while the walk fills the
/// next, so creating files and reading chunks overlap; at most two batches are held.
/// </summary>
internal sealed class ContentPipeline(Repository.RepositoryClient client, ChunkFetcher fetcher, string repository, int streams, CallOptions options,
    RestoreContext context, CancellationToken cancellationToken) : IAsyncDisposable
{
    /// <summary>The process's descriptor limit does not change while it runs.</summary>
    private static readonly int OpenFilesPerBatch = ContentBatch.OpenFilesPerBatch(Native.HandleMetadata.OpenFilesLimit());

    private ContentBatch _filling = new(context, OpenFilesPerBatch);
    private ContentBatch? _fetching;
    private Task? _inFlight;

    /// <summary>Queues chunk <paramref name="digest"/> for <paramref name="segments"/> of <paramref name="file"/>; may wait for the batch before.</summary>
    public async ValueTask AddAsync(ChunkDigest digest, int length, RestoredFile file, List<Segment> segments)
    {
        if (segments.Count == 0) return;
        if (_filling.IsFull) await SubmitAsync().ConfigureAwait(false);
        _filling.Add(digest, length, file, segments);
    }

    /// <summary>Fetches what is left and waits for every write.</summary>
    public async Task CompleteAsync()
    {
        await SubmitAsync().ConfigureAwait(false);
        await WaitAsync().ConfigureAwait(false);
    }

    private async Task SubmitAsync()
    {
        await WaitAsync().ConfigureAwait(false);
        if (_filling.IsEmpty) return;
        _fetching = _filling;
        _filling = new ContentBatch(context, OpenFilesPerBatch);
        _inFlight = FetchAsync(_fetching);
    }

    private async Task WaitAsync()
    {
        if (_inFlight is null) return;
        await _inFlight.ConfigureAwait(false);
        _inFlight = null;
        _fetching = null;
    }

    private async Task FetchAsync(ContentBatch batch)
    {
        var ordered = await ChunkLocator.OrderByLocalityAsync(client, repository, batch.Digests, options, cancellationToken).ConfigureAwait(false);
        var statistics = await fetcher.FetchAsync(repository, ordered, streams, batch.Receive, cancellationToken).ConfigureAwait(false);
        context.AddChunks(statistics.Chunks);
    }

    /// <summary>After a failure: lets the fetch in flight end, then closes every file still open, unfinished.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_inFlight is not null)
        {
            try
            {
                await _inFlight.ConfigureAwait(false);
            }
            catch
            {
                // Its failure is reported by whoever awaited it first, or is the consequence of the one that is.
            }
        }
        _fetching?.Abandon();
        _filling.Abandon();
    }
}
