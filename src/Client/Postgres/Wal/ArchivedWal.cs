namespace Bunker.Client.Postgres.Wal;

/// <summary>One archived WAL file as listed from the repository; <paramref name="PushedAt"/> is when bunkerd made it durable.</summary>
public readonly record struct ArchivedWal(WalFileName File, DateTimeOffset PushedAt);
