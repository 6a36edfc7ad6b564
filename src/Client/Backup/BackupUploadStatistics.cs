namespace Bunker.Client.Backup;

/// <summary>What a <see cref="BackupUploader"/> has done so far; a snapshot, safe to read while it runs.</summary>
/// <param name="ChunksAdded">Entries appended to archives (every <see cref="BackupUploader.AddChunkAsync"/>).</param>
/// <param name="RawBytesAdded">Their raw bytes: the size of the archives.</param>
/// <param name="ChunksOffered">Distinct digests offered to the server (a digest repeated within the session is offered once).</param>
/// <param name="ChunksUploaded">Chunks the server lacked, put on the wire.</param>
/// <param name="RawBytesUploaded">Raw bytes of those chunks.</param>
/// <param name="EncodedBytesSent">What they took on the wire: zstd-compressed, or raw where zstd saved under 2%.</param>
/// <param name="PeakBufferedBytes">Most raw bytes of new chunks held at once (see <see cref="BackupUploaderOptions.MaxBufferedBytes"/>).</param>
public sealed record BackupUploadStatistics(
    long ChunksAdded,
    long RawBytesAdded,
    long ChunksOffered,
    long ChunksUploaded,
    long RawBytesUploaded,
    long EncodedBytesSent,
    long PeakBufferedBytes);
