using System.Buffers.Binary;

namespace Bunker.Client.Postgres.Wal;

/// <summary>global/pg_control, the cluster's control file: read only for its system identifier, the identity that every WAL segment header repeats.</summary>
public static class PgControl
{
    /// <summary>PG_CONTROL_FILE_SIZE: PostgreSQL pads the control file to this size whatever the struct's size.</summary>
    public const int FileSize = 8192;

    /// <summary>
    /// The system identifier (the first 8 bytes, little-endian). <see cref="IOException"/> when the file cannot be read,
    /// <see cref="InvalidDataException"/> when it is not the size of a control file or holds identifier 0.
    /// </summary>
    public static ulong ReadSystemIdentifier(string pgControlPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(pgControlPath);
        using var handle = File.OpenHandle(pgControlPath);
        long length = RandomAccess.GetLength(handle);
        if (length != FileSize) throw new InvalidDataException($"'{pgControlPath}' is {length} bytes; a PostgreSQL pg_control file is {FileSize}");
        Span<byte> start = stackalloc byte[sizeof(ulong)];
        if (RandomAccess.Read(handle, start, 0) != start.Length) throw new InvalidDataException($"'{pgControlPath}' ended while reading its system identifier");
        ulong identifier = BinaryPrimitives.ReadUInt64LittleEndian(start);
        if (identifier == 0) throw new InvalidDataException($"'{pgControlPath}' holds system identifier 0, which initdb never writes: not a pg_control file");
        return identifier;
    }
}
