namespace Bunker.Client.Files.Restore;

/// <summary>What a restore did.</summary>
/// <param name="Files">Regular files written (hardlinks whose first name was left out count here: they are written as files).</param>
/// <param name="Directories">Directories from the catalog created or brought up to date.</param>
/// <param name="Links">Symlinks and hardlinks created.</param>
/// <param name="Special">Fifos, sockets and device nodes created.</param>
/// <param name="FilesSkipped">Regular files left alone because their size and mtime already matched (a resumed restore).</param>
/// <param name="BytesWritten">Bytes of file content written to disk; zero runs left as holes do not count.</param>
/// <param name="ChunksFetched">Chunks read from the server (each distinct chunk of a batch once, whatever it fills).</param>
/// <param name="Warnings">Entries that could not be restored (or not entirely), and why.</param>
public sealed record FileRestoreResult(long Files, long Directories, long Links, long Special, long FilesSkipped, long BytesWritten,
    long ChunksFetched, IReadOnlyList<FileWarning> Warnings);
