using System.Buffers;
using Bunker.Chunking;
using Bunker.Chunking.Compression;
using Bunker.Index;
using Bunker.Storage.Packs;
using Bunker.Storage.Stores;

namespace Bunker.Storage;

/// <summary>What reading one snapshot back found.</summary>
public sealed record SnapshotVerification(SnapshotId Snapshot, long ChunksRead, long BytesRead, IReadOnlyList<string> Problems)
{
    public bool IsIntact => Problems.Count == 0;
}

public sealed partial class Repository
{
    private const int VerifyWindow = 16_384;

    /// <summary>
    /// Reads every chunk <paramref name="id"/> references back from the store (its archive indexes too, by reading them),
    /// decrypts, decodes and hashes each: what verify-after-backup runs, so a snapshot that cannot be restored is known
    /// the moment it is made. Chunks are read in pack order a window at a time, so memory does not grow with the
    /// snapshot. A damaged chunk is reported, not dropped: that is the check's job, which can say who else uses it.
    /// </summary>
    public async Task<SnapshotVerification> VerifySnapshotAsync(SnapshotId id, CancellationToken cancellationToken = default)
    {
        var manifest = await LoadManifestAsync(id, cancellationToken).ConfigureAwait(false);
        var problems = new List<string>();
        var window = new List<ChunkDigest>(VerifyWindow);
        long chunks = 0, bytes = 0;
        byte[] raw = [];
        foreach (var archive in manifest.Archives)
        {
            try
            {
                await foreach (var entry in ReadArchiveAsync(archive, cancellationToken).ConfigureAwait(false))
                {
                    if (entry.Digest.IsHole) continue;
                    window.Add(entry.Digest);
                    if (window.Count == VerifyWindow) await ReadWindowAsync(archive.Name).ConfigureAwait(false);
                }
                await ReadWindowAsync(archive.Name).ConfigureAwait(false);
            }
            catch (Exception e) when (e is PackException or ChunkNotFoundException or InvalidDataException)
            {
                window.Clear();
                AddCapped(problems, $"archive '{archive.Name}': its index cannot be read: {e.Message}");
            }
        }
        if (raw.Length > 0) ArrayPool<byte>.Shared.Return(raw);
        return new SnapshotVerification(id, chunks, bytes, problems);

        async Task ReadWindowAsync(string archive)
        {
            if (window.Count == 0) return;
            try
            {
                await ReadStoredChunksAsync(window, chunk =>
                {
                    if (raw.Length < chunk.RawLength)
                    {
                        if (raw.Length > 0) ArrayPool<byte>.Shared.Return(raw);
                        raw = ArrayPool<byte>.Shared.Rent(chunk.RawLength);
                    }
                    var output = raw.AsSpan(0, chunk.RawLength);
                    if (chunk.Codec == ChunkCodec.None) chunk.Encoded.Span.CopyTo(output);
                    else ChunkCompressor.Decompress(chunk.Codec, chunk.Encoded.Span, output);
                    if (ChunkDigest.Compute(output) != chunk.Digest)
                        AddCapped(problems, $"archive '{archive}': chunk {chunk.Digest} does not hash to its name");
                    chunks++;
                    bytes += chunk.RawLength;
                    return ValueTask.CompletedTask;
                }, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is PackException or ChunkNotFoundException or InvalidDataException or StoreException)
            {
                // One bad chunk stops its window's read; the window's other chunks are read one by one to find them all.
                foreach (var digest in window)
                {
                    try
                    {
                        byte[] data = await GetAsync(digest, cancellationToken).ConfigureAwait(false);
                        chunks++;
                        bytes += data.Length;
                    }
                    catch (Exception single) when (single is PackException or ChunkNotFoundException or InvalidDataException or StoreException)
                    {
                        AddCapped(problems, $"archive '{archive}': {single.Message}");
                    }
                }
            }
            window.Clear();
        }
    }
}
