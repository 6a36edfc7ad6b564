namespace Bunker.Client.Postgres.Tar;

/// <summary>What an extraction created: regular files, directories (listed or implied, not the target itself) and file bytes.</summary>
public sealed record TarExtractResult(long Files, long Directories, long Bytes);
