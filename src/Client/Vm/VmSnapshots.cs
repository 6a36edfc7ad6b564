using System.Runtime.CompilerServices;
using Bunker.Client.Restore;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;
using Google.Protobuf;

namespace Bunker.Client.Vm;

/// <summary>
/// How disk images live in a repository: a snapshot of kind <see cref="Kind"/> (source id: the VM's id) with one
/// archive per disk, <c>disk/NAME</c>, cut into fixed <see cref="ChunkSize"/> chunks aligned to the disk's offsets,
/// so that chunk i always covers the same bytes and an unchanged block dedups whatever changed elsewhere. An
/// all-zero chunk is a hole entry: recorded with its length, never uploaded. Per disk, labels give its size, the
/// source's format and the dirty bitmap used.
/// </summary>
internal static class VmSnapshots
{
    public const string Kind = "vm";
    public const int ChunkSize = 4 << 20;
    private const string ArchivePrefix = "disk/";

    public static string Archive(string disk) => ArchivePrefix + disk;

    public static string SizeLabel(string disk) => $"vm.disk.{disk}.size";
    public static string FormatLabel(string disk) => $"vm.disk.{disk}.format";
    public static string BitmapLabel(string disk) => $"vm.disk.{disk}.bitmap";

    /// <summary>The disks a snapshot holds, in manifest order.</summary>
    public static List<string> Disks(SnapshotInfo snapshot)
    {
        var disks = new List<string>();
        foreach (var archive in snapshot.Manifest?.Archives ?? [])
        {
            if (archive.Name.StartsWith(ArchivePrefix, StringComparison.Ordinal)) disks.Add(archive.Name[ArchivePrefix.Length..]);
        }
        return disks;
    }

    /// <summary>
    /// A disk's index as the server sends it, checked like any input: entries of 1 to <see cref="ChunkSize"/> bytes that
    /// add up to exactly the <paramref name="size"/> the snapshot records. A hostile or damaged index is an
    /// <see cref="InvalidDataException"/> naming the disk, before anything is written for the entry that breaks it.
    /// </summary>
    public static async IAsyncEnumerable<ArchiveEntry> ReadIndexAsync(Repository.RepositoryClient client, string repository, ByteString snapshotId,
        string disk, long size, CallOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long end = 0;
        await foreach (var entry in ArchiveIndexReader.ReadAsync(client, repository, snapshotId, Archive(disk), options, cancellationToken).ConfigureAwait(false))
        {
            if (entry.Length is <= 0 or > ChunkSize || entry.Offset != end || end + entry.Length > size)
                throw new InvalidDataException($"the index of disk '{disk}' is not a disk of {size} bytes in chunks of at most {ChunkSize} (entry at {entry.Offset}, {entry.Length} bytes)");
            end += entry.Length;
            yield return entry;
        }
        if (end != size) throw new InvalidDataException($"the index of disk '{disk}' covers {end} bytes; the snapshot says the disk is {size}");
    }

    /// <summary>A disk name: what --disk NAME=... gives, kept to letters, digits and . _ - so it is safe in labels and file names.</summary>
    public static bool IsValidName(string name)
    {
        if (name.Length is 0 or > 64) return false;
        foreach (char c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or '-')) return false;
        }
        return name[0] != '.';
    }
}
