using Bunker.Storage.Packs;

namespace Bunker.Storage;

/// <summary>How a repository writes. None of it changes what it can read.</summary>
public sealed class RepositoryOptions
{
    /// <summary>Seal size of a pack; see <see cref="PackFormat.DefaultTargetSize"/> for why 32 MiB.</summary>
    public int PackTargetSize { get; init; } = PackFormat.DefaultTargetSize;

    /// <summary>zstd level for chunks that arrive raw. 3 is zstd's own default: fast, and most of the gain.</summary>
    public int CompressionLevel { get; init; } = 3;

    /// <summary>
    /// Packs open at once. Each is filled by one caller at a time, so this is how many puts can
    /// compress and encrypt in parallel; one per core uses the machine without oversubscribing it.
    /// </summary>
    public int Writers { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// The clock a snapshot's commit time is read from (the time scheduled retention counts in). Tests move it to take a
    /// year of daily backups in a second; nothing else in a repository reads it.
    /// </summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    public void Validate()
    {
        if (PackTargetSize < 1 << 16 || PackTargetSize > PackFormat.MaxTargetSize)
            throw new ArgumentOutOfRangeException(nameof(PackTargetSize), PackTargetSize, $"the pack target size must be between 64 KiB and {PackFormat.MaxTargetSize >> 20} MiB");
        if (Writers < 1 || Writers > 256)
            throw new ArgumentOutOfRangeException(nameof(Writers), Writers, "writers must be between 1 and 256");
    }
}
