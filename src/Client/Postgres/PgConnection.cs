using System.Globalization;

namespace Bunker.Client.Postgres;

/// <summary>
/// The libpq connection string a PostgreSQL command uses: --pg as given (keyword=value or a postgres:// URI, with
/// PGHOST, PGPORT, PGUSER and .pgpass applying as usual), or, with only --pgdata, the socket and port of the server
/// running on that data directory, read from its postmaster.pid, as the data directory's owner unless PGUSER says otherwise.
/// </summary>
internal static class PgConnection
{
    public static string Resolve(string? pg, string? pgdata)
    {
        if (!string.IsNullOrWhiteSpace(pg)) return WithDatabase(pg);
        if (string.IsNullOrEmpty(pgdata)) return "dbname=postgres";
        string pidFile = Path.Combine(pgdata, "postmaster.pid");
        string[] lines;
        try
        {
            lines = File.ReadAllLines(pidFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CommandFailedException($"no server is running on {pgdata} ({pidFile}: {e.Message}); start it, or pass --pg with a connection string");
        }
        // postmaster.pid: pid, data directory, start time, port, socket directory, listen address, ...
        if (lines.Length < 5 || !int.TryParse(lines[3], NumberStyles.None, CultureInfo.InvariantCulture, out int port))
            throw new CommandFailedException($"{pidFile} is not a server's pid file that names a port; pass --pg with a connection string");
        string host = lines[4].Trim().Length > 0 ? lines[4].Trim() : "localhost";
        return $"host={Quote(host)} port={port} dbname=postgres{ClusterOwner(pgdata)}";
    }

    /// <summary>
    /// Without PGUSER, libpq would log in as the OS user running bunker (root, under cron); the cluster's own account,
    /// which owns the data directory, is the superuser initdb made, and what peer authentication on the socket expects.
    /// </summary>
    private static string ClusterOwner(string pgdata)
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("PGUSER"))) return "";
        try
        {
            uint uid = Files.Native.NativeFiles.StatFollowing(System.Text.Encoding.UTF8.GetBytes(pgdata)).Uid;
            string name = new Files.Native.OwnerNames().User(uid);
            return name.Length > 0 ? $" user={Quote(name)}" : "";
        }
        catch (Files.Native.FileSystemException)
        {
            return "";
        }
    }

    /// <summary>psql connects to the database named after the user unless told otherwise; the postgres database always exists.</summary>
    private static string WithDatabase(string connection)
    {
        if (connection.StartsWith("postgres://", StringComparison.Ordinal) || connection.StartsWith("postgresql://", StringComparison.Ordinal))
            return connection;
        return connection.Contains("dbname", StringComparison.Ordinal) ? connection : connection + " dbname=postgres";
    }

    /// <summary>A keyword value in libpq's quoting: single quotes, with backslash before quotes and backslashes.</summary>
    public static string Quote(string value) => "'" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";
}
