using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Bunker.Bench.Workloads;

/// <summary>What <see cref="TreeModification.Apply"/> did to a tree.</summary>
internal sealed record TreeChanges(
    int RegularFiles,
    int FilesModified,
    long ModifiedFilesBytes,
    long BytesFlipped,
    long BytesInserted,
    int FilesAdded,
    long BytesAdded,
    int FilesDeleted,
    long BytesDeleted)
{
    public string Describe() =>
        $"{FilesModified} of {RegularFiles} regular files rewritten ({FilesModified * 100.0 / Math.Max(1, RegularFiles):F1}%, " +
        $"{ModifiedFilesBytes / 1e6:F1} MB in them): {BytesFlipped} bytes flipped, {BytesInserted} bytes inserted; " +
        $"{FilesAdded} files added ({BytesAdded / 1e6:F1} MB); {FilesDeleted} files deleted ({BytesDeleted / 1e6:F1} MB)";
}

/// <summary>
/// A deterministic change to a tree, as a day of updates would make it: 5% of the regular files get a
/// few bytes flipped and, for about half of them, a run of bytes inserted (which shifts the rest of the
/// file, so content-defined chunking is exercised); a few files are deleted and a few added. Every
/// choice comes from SHA-256 of (seed, purpose, counter, relative path), so the same tree and seed give
/// the same change on every machine and run, whatever the directory order. <see cref="Random"/> is not
/// used: its seeded sequence is not pinned across .NET versions.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class TreeModification
{
    public const int ModifiedPercent = 5;
    /// <summary>One file in this many is deleted, and as many are added.</summary>
    public const int AddDeleteOneIn = 500;
    public const ulong DefaultSeed = 0x42756E6B65723035UL; // "Bunker05"

    private const int MaxFlips = 4;
    private const int MaxInsertedBytes = 256;
    private const int MinAddedBytes = 4 << 10;
    private const int MaxAddedExtraBytes = 2 << 20;
    private const int CopyBufferSize = 1 << 20;

    // The purposes keep the draws for different decisions independent of each other.
    private enum Purpose : uint
    {
        Order = 1,
        FlipCount,
        FlipPosition,
        FlipMask,
        Insert,
        Content,
        Directory,
        Size,
    }

    public static TreeChanges Apply(string root, ulong seed = DefaultSeed)
    {
        var entries = TreeEntries.List(root);
        var files = new List<TreeEntry>();
        var directories = new List<string> { "" };
        foreach (var entry in entries)
        {
            if (entry.Kind == TreeEntryKind.File) files.Add(entry);
            else if (entry.Kind == TreeEntryKind.Directory) directories.Add(entry.RelativePath);
        }

        // A stable shuffle: order by each path's draw (the path breaks a tie), then take from the front.
        var order = new List<(ulong Key, TreeEntry File)>(files.Count);
        foreach (var file in files)
            order.Add((Draw(seed, Purpose.Order, 0, file.RelativePath), file));
        order.Sort((a, b) => a.Key != b.Key ? a.Key.CompareTo(b.Key) : string.CompareOrdinal(a.File.RelativePath, b.File.RelativePath));

        int modifyCount = (files.Count * ModifiedPercent + 50) / 100;
        int deleteCount = files.Count == 0 ? 0 : Math.Max(1, files.Count / AddDeleteOneIn);
        deleteCount = Math.Min(deleteCount, files.Count - modifyCount);

        long modifiedBytes = 0, flipped = 0, inserted = 0, deletedBytes = 0;
        for (int i = 0; i < modifyCount; i++)
        {
            var (bytes, flips, insertedHere) = Rewrite(order[i].File, seed);
            modifiedBytes += bytes;
            flipped += flips;
            inserted += insertedHere;
        }
        for (int i = modifyCount; i < modifyCount + deleteCount; i++)
        {
            deletedBytes += new FileInfo(order[i].File.FullPath).Length;
            File.Delete(order[i].File.FullPath);
        }

        int addCount = files.Count == 0 ? 0 : Math.Max(1, files.Count / AddDeleteOneIn);
        long addedBytes = 0;
        for (int i = 0; i < addCount; i++)
            addedBytes += AddFile(root, directories, i, seed);

        return new TreeChanges(files.Count, modifyCount, modifiedBytes, flipped, inserted, addCount, addedBytes, deleteCount, deletedBytes);
    }

    /// <summary>
    /// Writes the changed content to a temporary file beside the original and renames it over, as package
    /// updates do. A rename also breaks a hardlink, so exactly one path changes (/usr/lib has a group of 13
    /// hardlinked drivers; an in-place write would change all of them).
    /// </summary>
    private static (long Bytes, int Flips, int Inserted) Rewrite(TreeEntry file, ulong seed)
    {
        string path = file.RelativePath;
        long length = new FileInfo(file.FullPath).Length;

        // Distinct positions, ascending; each flip XORs a non-zero mask, so every chosen byte really changes.
        var flips = new SortedDictionary<long, byte>();
        int flipCount = length == 0 ? 0 : 1 + (int)(Draw(seed, Purpose.FlipCount, 0, path) % MaxFlips);
        for (uint i = 0; i < flipCount; i++)
            flips.TryAdd((long)(Draw(seed, Purpose.FlipPosition, i, path) % (ulong)length), (byte)(Draw(seed, Purpose.FlipMask, i, path) | 1));

        // About half the files, and every empty one, get a run of bytes inserted.
        ulong insertDraw = Draw(seed, Purpose.Insert, 0, path);
        byte[] insertion = [];
        long insertAt = -1;
        if (length == 0 || (insertDraw & 1) == 0)
        {
            insertion = SeededBytes(seed, path, 1 + (int)((insertDraw >> 1) % MaxInsertedBytes));
            insertAt = (long)(Draw(seed, Purpose.Insert, 1, path) % (ulong)(length + 1));
        }

        string temporary = file.FullPath + ".bunker-bench-tmp";
        var mode = File.GetUnixFileMode(file.FullPath);
        using (var input = new FileStream(file.FullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan))
        using (var output = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1))
            CopyWithEdits(input, output, flips, insertAt, insertion);
        File.SetUnixFileMode(temporary, mode);
        File.Move(temporary, file.FullPath, overwrite: true);
        return (length, flips.Count, insertion.Length);
    }

    private static void CopyWithEdits(Stream input, Stream output, SortedDictionary<long, byte> flips, long insertAt, byte[] insertion)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            using var flip = flips.GetEnumerator();
            bool moreFlips = flip.MoveNext();
            long offset = 0;
            int read;
            while ((read = input.Read(buffer, 0, CopyBufferSize)) > 0)
            {
                var block = buffer.AsSpan(0, read);
                for (; moreFlips && flip.Current.Key < offset + read; moreFlips = flip.MoveNext())
                    block[(int)(flip.Current.Key - offset)] ^= flip.Current.Value;
                if (insertAt >= offset && insertAt < offset + read)
                {
                    int split = (int)(insertAt - offset);
                    output.Write(block[..split]);
                    output.Write(insertion);
                    output.Write(block[split..]);
                }
                else
                {
                    output.Write(block);
                }
                offset += read;
            }
            // An insertion at the very end (or into an empty file) falls after the last block.
            if (insertAt == offset)
                output.Write(insertion);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static long AddFile(string root, List<string> directories, int number, ulong seed)
    {
        string key = $"new/{number}";
        string directory = directories[(int)(Draw(seed, Purpose.Directory, 0, key) % (ulong)directories.Count)];
        int size = MinAddedBytes + (int)(Draw(seed, Purpose.Size, 0, key) % MaxAddedExtraBytes);
        string path = Path.Combine(root, directory, $"bunker-bench-new-{number:D3}.bin");
        File.WriteAllBytes(path, SeededBytes(seed, key, size));
        return size;
    }

    /// <summary>SHA-256 in counter mode over (seed, path): incompressible bytes that are the same on every run.</summary>
    private static byte[] SeededBytes(ulong seed, string path, int count)
    {
        var bytes = new byte[count];
        Span<byte> block = stackalloc byte[SHA256.HashSizeInBytes];
        for (int at = 0; at < count; at += block.Length)
        {
            Hash(seed, Purpose.Content, (uint)(at / block.Length), path, block);
            block[..Math.Min(block.Length, count - at)].CopyTo(bytes.AsSpan(at));
        }
        return bytes;
    }

    private static ulong Draw(ulong seed, Purpose purpose, uint counter, string path)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        Hash(seed, purpose, counter, path, digest);
        return BinaryPrimitives.ReadUInt64LittleEndian(digest);
    }

    private static void Hash(ulong seed, Purpose purpose, uint counter, string path, Span<byte> digest)
    {
        const int Prefix = sizeof(ulong) + 2 * sizeof(uint);
        int length = Prefix + Encoding.UTF8.GetByteCount(path);
        byte[]? rented = length > 512 ? ArrayPool<byte>.Shared.Rent(length) : null;
        Span<byte> input = rented is null ? stackalloc byte[length] : rented.AsSpan(0, length);
        BinaryPrimitives.WriteUInt64LittleEndian(input, seed);
        BinaryPrimitives.WriteUInt32LittleEndian(input[8..], (uint)purpose);
        BinaryPrimitives.WriteUInt32LittleEndian(input[12..], counter);
        Encoding.UTF8.GetBytes(path, input[Prefix..]);
        SHA256.HashData(input, digest);
        if (rented is not null)
            ArrayPool<byte>.Shared.Return(rented);
    }
}
