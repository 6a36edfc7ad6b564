using Bunker.Chunking;

namespace Bunker.Client.Files.Restore;

/// <summary>
/// One round of content: the distinct chunks it needs, each with every place it goes (a chunk shared by
/// files, or repeated in one, is fetched once and written to each). Only this much is held in memory.
/// </summary>
internal sealed class ContentBatch(RestoreContext context, int maxOpenFiles)
{
    /// <summary>Chunks per batch, at most.</summary>
    public const int MaxChunks = 65_536;

    /// <summary>Payload bytes per batch, at most (a batch that holds one larger chunk is not split).</summary>
    public const long MaxBytes = 4L << 30;

    /// <summary>Files a batch keeps open, at most; with one batch in flight and one filling, twice this.</summary>
    public const int MaxOpenFiles = 2048;

    /// <summary>Descriptors left for everything else: the directory stack, the connections, the runtime.</summary>
    private const int ReservedDescriptors = 256;

    /// <summary>Files per batch: <see cref="MaxOpenFiles"/>, or less when two batches of them would not fit the process's limit.</summary>
    public static int OpenFilesPerBatch(long openFilesLimit) => (int)Math.Clamp((openFilesLimit - ReservedDescriptors) / 2, 16, MaxOpenFiles);

    private readonly Dictionary<ChunkDigest, List<Destination>> _destinations = [];
    private readonly List<ChunkDigest> _order = [];
    private long _bytes;
    private int _files;

    /// <summary>The distinct digests in first-use order.</summary>
    public IReadOnlyList<ChunkDigest> Digests => _order;

    public bool IsEmpty => _order.Count == 0;

    public bool IsFull => _order.Count >= MaxChunks || _bytes >= MaxBytes || _files >= maxOpenFiles;

    /// <summary>Chunk <paramref name="digest"/> fills <paramref name="segments"/> of <paramref name="file"/>.</summary>
    public void Add(in ChunkDigest digest, int length, RestoredFile file, List<Segment> segments)
    {
        if (!_destinations.TryGetValue(digest, out var places))
        {
            places = new List<Destination>(1);
            _destinations.Add(digest, places);
            _order.Add(digest);
            _bytes += length;
        }
        if (!ReferenceEquals(file.Batch, this))
        {
            file.Batch = this;
            _files++;
        }
        foreach (var segment in segments) places.Add(new Destination(file, segment));
        file.Expect(segments.Count);
    }

    /// <summary>The fetcher's receiver: writes the chunk everywhere it goes. Called from several threads at once.</summary>
    public void Receive(in ChunkDigest digest, ReadOnlySpan<byte> raw)
    {
        foreach (var (file, segment) in _destinations[digest])
        {
            try
            {
                var data = raw.Slice(segment.ChunkOffset, segment.Length);
                context.AddBytesWritten(ZeroRuns.Write(file.Handle, data, segment.FileOffset));
                context.Progress.AddBytes(segment.Length);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                file.Fail($"writing at offset {segment.FileOffset}: {e.Message}");
            }
            finally
            {
                file.Done();
            }
        }
    }

    /// <summary>After a failed fetch: closes the files still waiting, unfinished.</summary>
    public void Abandon()
    {
        foreach (var places in _destinations.Values)
        {
            foreach (var (file, _) in places) file.Abandon();
        }
    }

    private readonly record struct Destination(RestoredFile File, Segment Segment);
}
