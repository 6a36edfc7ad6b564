using System.Runtime.InteropServices;

namespace Bunker.Index.RocksDb;

/// <summary>An error status returned by RocksDB, carrying RocksDB's own message.</summary>
public class RocksDbException : IOException
{
    public RocksDbException(string message) : base(message) { }
    public RocksDbException(string message, Exception inner) : base(message, inner) { }

    /// <summary>
    /// Throws if the C API set <paramref name="error"/>. The string is malloc()ed by RocksDB, so it
    /// is freed with rocksdb_free here, before the exception leaves.
    /// </summary>
    internal static void ThrowIfError(nint error)
    {
        if (error != 0)
            throw new RocksDbException(TakeMessage(error));
    }

    /// <summary>Copies a malloc()ed C string from RocksDB and frees it.</summary>
    internal static string TakeMessage(nint error)
    {
        try
        {
            return Marshal.PtrToStringUTF8(error) ?? "unknown RocksDB error";
        }
        finally
        {
            Native.rocksdb_free(error);
        }
    }
}
