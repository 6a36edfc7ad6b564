using System.Buffers;
using System.Buffers.Binary;

namespace Bunker.Client.Files.Native;

/// <summary>Lists a directory's names as raw bytes with getdents64, one system call per 64 KiB of entries.</summary>
internal static unsafe class DirectoryReader
{
    private const int BufferSize = 64 << 10;
    // struct linux_dirent64: d_ino (8), d_off (8), d_reclen (2), d_type (1), then the NUL-terminated name.
    private const int NameOffset = 19;

    /// <summary>The names in <paramref name="path"/>, without "." and "..", in the order the file system gives them.</summary>
    /// <exception cref="FileSystemException">The directory cannot be opened or read (EACCES, ENOENT, ENOTDIR when it was replaced...).</exception>
    public static List<byte[]> ListNames(ReadOnlySpan<byte> path)
    {
        Span<byte> stack = stackalloc byte[NativePath.StackSize];
        var terminated = NativePath.Terminated(path, stack);
        int fd;
        fixed (byte* p = terminated)
        {
            // O_NOFOLLOW and O_DIRECTORY: a directory swapped for a symlink after its lstat is refused, not followed.
            fd = LibC.Open(p, LibC.OCloExec | LibC.ODirectory | LibC.ONoFollow | LibC.ONonBlock);
        }
        if (fd < 0) throw FileSystemException.Last("opendir");
        var names = new List<byte[]>();
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            fixed (byte* b = buffer)
            {
                while (true)
                {
                    nint read = LibC.GetDents64(fd, b, BufferSize);
                    if (read < 0) throw FileSystemException.Last("getdents64");
                    if (read == 0) break;
                    Parse(buffer.AsSpan(0, (int)read), names);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            LibC.Close(fd);
        }
        return names;
    }

    private static void Parse(ReadOnlySpan<byte> records, List<byte[]> names)
    {
        while (!records.IsEmpty)
        {
            int length = BinaryPrimitives.ReadUInt16LittleEndian(records[16..]);
            if (length < NameOffset || length > records.Length)
                throw new FileSystemException("getdents64", 0, $"malformed directory record of {length} bytes");
            var name = records[NameOffset..length];
            int end = name.IndexOf((byte)0);
            if (end >= 0) name = name[..end];
            if (!name.SequenceEqual("."u8) && !name.SequenceEqual(".."u8)) names.Add(name.ToArray());
            records = records[length..];
        }
    }
}
