using Bunker.Client.Postgres.Wal;

namespace Bunker.Client.Postgres;

/// <summary>Which cluster a WAL command works for: the data directory's pg_control says, and PostgreSQL runs its archive and restore commands in the data directory.</summary>
internal static class PgCluster
{
    /// <summary>The system identifier in DIR/global/pg_control (DIR: <paramref name="dataDirectory"/>, else the working directory); null when there is none.</summary>
    public static ulong? TryReadSystemIdentifier(string? dataDirectory)
    {
        string control = Path.Combine(dataDirectory ?? Directory.GetCurrentDirectory(), "global", "pg_control");
        if (!File.Exists(control))
        {
            if (dataDirectory is not null) throw new UsageException($"{control} not found: --pgdata must be a PostgreSQL data directory");
            return null;
        }
        try
        {
            return PgControl.ReadSystemIdentifier(control);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            throw new CommandFailedException($"{control}: {e.Message}");
        }
    }

    /// <summary>The cluster to work for: --system-id when given, else pg_control; a clear error when neither says.</summary>
    public static ulong Resolve(string? systemId, string? dataDirectory)
    {
        if (!string.IsNullOrEmpty(systemId))
        {
            return ulong.TryParse(systemId, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ulong id) && id != 0
                ? id
                : throw new UsageException($"--system-id '{systemId}' must be a cluster's system identifier (a decimal number, as pg_controldata shows it)");
        }
        return TryReadSystemIdentifier(dataDirectory)
            ?? throw new UsageException("which cluster? run from its data directory (as PostgreSQL runs archive and restore commands), or pass --pgdata or --system-id");
    }
}
