using Bunker.Chunking;
using Bunker.Protocol.V1;
using Google.Protobuf;

namespace Bunker.Storage;

/// <summary>
/// Builds one archive's index as a snapshot is taken: entries are appended in stream order,
/// checked against the repository in batches (so a commit can refuse a reference to a missing
/// chunk without re-reading anything), and written out as index chunks of bounded size. Memory
/// stays at one index chunk plus one check batch whatever the archive's length.
/// </summary>
public sealed class ArchiveWriter
{
    private const int CheckBatch = 4096;
    private const int MissingToReport = 16;

    private readonly Repository _repository;
    private readonly byte[] _chunk = new byte[ArchiveIndexFormat.MaxChunkBytes];
    private readonly ChunkDigest[] _unchecked = new ChunkDigest[CheckBatch];
    private readonly bool[] _found = new bool[CheckBatch];
    private readonly List<ChunkDigest> _indexChunks = [];
    private readonly List<ChunkDigest> _missing = [];
    private int _uncheckedCount;
    private int _chunkEntries;
    private ulong _size;
    private ulong _count;
    private long _missingCount;
    private ArchiveRef? _completed;

    internal ArchiveWriter(Repository repository, string name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 255 || name.Contains('\0'))
            throw new ArgumentException("an archive name must be 1 to 255 characters without NUL", nameof(name));
        _repository = repository;
        Name = name;
        StartEpoch = repository.LostPackEpoch;
        ArchiveIndexFormat.Magic.CopyTo(_chunk);
    }

    public string Name { get; }

    /// <summary>
    /// The repository's lost-pack epoch when this archive was started. Entries are checked as they
    /// arrive, counting chunks still in open packs as present; if any pack write fails after this
    /// point, such a chunk may be gone, and the commit must refuse (invariant 2).
    /// </summary>
    internal int StartEpoch { get; }
    /// <summary>How many appended entries named a chunk the repository does not hold.</summary>
    public long MissingCount => _missingCount;
    /// <summary>The first few missing digests, for the error a commit gives.</summary>
    public IReadOnlyList<ChunkDigest> FirstMissing => _missing;

    /// <summary>Appends the next piece of the archive's stream.</summary>
    public async ValueTask AddAsync(ChunkDigest digest, int length, CancellationToken cancellationToken = default)
    {
        if (_completed is not null)
            throw new InvalidOperationException($"archive '{Name}' is already complete");
        if (length <= 0 || length > Packs.PackFormat.MaxChunkSize)
            throw new ArgumentOutOfRangeException(nameof(length), length, "a chunk length must be positive and at most the chunk limit");

        ChunkEntryLayout.Write(_chunk.AsSpan(8 + _chunkEntries * ArchiveIndexFormat.EntrySize), digest, (uint)length);
        _chunkEntries++;
        _size += (ulong)length;
        _count++;
        // A hole (zeros, no chunk) has nothing in the repository to check.
        if (!digest.IsHole)
        {
            _repository.MarkReferenced(digest);
            _unchecked[_uncheckedCount++] = digest;
            if (_uncheckedCount == CheckBatch)
                CheckPending();
        }
        if (_chunkEntries == ArchiveIndexFormat.EntriesPerChunk)
            await WriteIndexChunkAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Cuts <paramref name="stream"/> into chunks, stores each in the repository and appends it:
    /// the whole of what a source does for one archive when its data is a plain stream.
    /// </summary>
    public async Task AppendStreamAsync(Stream stream, IChunkBoundary boundary, CancellationToken cancellationToken = default)
    {
        using var chunks = new StreamChunker(stream, boundary, leaveOpen: true);
        while (await chunks.MoveNextAsync(cancellationToken).ConfigureAwait(false))
        {
            var chunk = chunks.Current;
            var digest = ChunkDigest.Compute(chunk.Span);
            await _repository.PutAsync(digest, chunk, cancellationToken).ConfigureAwait(false);
            await AddAsync(digest, chunk.Length, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Finishes the index: checks the last entries and stores the last index chunk.</summary>
    public async ValueTask<ArchiveRef> CompleteAsync(CancellationToken cancellationToken = default)
    {
        if (_completed is not null)
            return _completed;
        CheckPending();
        if (_chunkEntries > 0 || _indexChunks.Count == 0)
            await WriteIndexChunkAsync(cancellationToken).ConfigureAwait(false);
        var archive = new ArchiveRef { Name = Name, Size = _size, ChunkCount = _count };
        foreach (var digest in _indexChunks)
            archive.IndexChunks.Add(ByteString.CopyFrom(digest.ToArray()));
        _completed = archive;
        return archive;
    }

    private void CheckPending()
    {
        if (_uncheckedCount == 0)
            return;
        var digests = _unchecked.AsSpan(0, _uncheckedCount);
        var found = _found.AsSpan(0, _uncheckedCount);
        if (_repository.Has(digests, found) != digests.Length)
        {
            for (int i = 0; i < digests.Length; i++)
            {
                if (found[i]) continue;
                _missingCount++;
                if (_missing.Count < MissingToReport)
                    _missing.Add(digests[i]);
            }
        }
        _uncheckedCount = 0;
    }

    private async ValueTask WriteIndexChunkAsync(CancellationToken cancellationToken)
    {
        int length = 8 + _chunkEntries * ArchiveIndexFormat.EntrySize;
        var bytes = _chunk.AsMemory(0, length);
        var digest = ChunkDigest.Compute(bytes.Span);
        await _repository.PutAsync(digest, bytes, cancellationToken).ConfigureAwait(false);
        _indexChunks.Add(digest);
        _chunkEntries = 0;
    }
}
