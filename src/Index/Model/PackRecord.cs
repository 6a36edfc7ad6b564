namespace Bunker.Index;

/// <summary>
/// What the index knows of a pack: where it is (<see cref="Location"/> names the store or tier,
/// such as "local", "s3" or "fallback"), how big it is, and how much of it is still referenced.
/// </summary>
public sealed record PackRecord(PackId Id, string Location, long Size, long LiveBytes, int ChunkCount, DateTimeOffset Created);
