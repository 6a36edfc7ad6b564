namespace Bunker.Client.Files.Restore;

/// <summary>What to restore from a files snapshot, and where.</summary>
public sealed record FileRestoreRequest
{
    /// <summary>The directory to restore into; created when missing. Nothing is ever written outside it.</summary>
    public required string Target { get; init; }

    /// <summary>Catalog paths (as typed: "home/ann" or "/home/ann") to restore, with everything below them; empty means all.</summary>
    public IReadOnlyList<string> Includes { get; init; } = [];

    /// <summary>Concurrent ReadChunks streams.</summary>
    public int Parallel { get; init; } = 8;

    /// <summary>After writing, read every restored file back and check it against the snapshot's chunk digests.</summary>
    public bool Verify { get; init; }

    /// <summary>Test seam: runs after everything is written and before verification reads it back.</summary>
    internal Action? BeforeVerify { get; init; }
}
