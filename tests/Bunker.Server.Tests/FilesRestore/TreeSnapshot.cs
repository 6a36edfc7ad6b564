using System.Text.Json;
using Bunker.Client.Files.Catalog;
using Bunker.Protocol.V1;
using Bunker.Tests.Shared;
using Google.Protobuf;

namespace Bunker.Server.Tests.FilesRestore;

/// <summary>
/// A real directory tree described as catalog entries: tests/tools/filetree.py's spec reports lstat, xattrs and data
/// extents (independently of the code under test), and this turns them into builder entries the way a backup
/// would: hardlinks as later names of the first path of an inode, sparse files as their data extents.
/// </summary>
internal static class TreeSnapshot
{
    public static async Task<FileSnapshotBuilder> DescribeAsync(string root, FileSnapshotBuilder builder)
    {
        var dataFile = Path.GetTempFileName();
        var described = await FileTrees.FileTreeAsync("spec", root, dataFile);
        var data = await File.ReadAllBytesAsync(dataFile);
        File.Delete(dataFile);
        var entries = new List<(CatalogEntry Entry, JsonElement Spec)>();
        foreach (var line in described.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var spec = JsonDocument.Parse(line).RootElement;
            entries.Add((Entry(spec), spec));
        }
        entries.Sort((a, b) => CatalogPath.Compare(a.Entry.Path.Span, b.Entry.Path.Span));
        var firstNames = new Dictionary<(ulong, ulong), ByteString>();
        foreach (var (entry, spec) in entries)
        {
            if (entry.Type != EntryType.File)
            {
                builder.Add(entry, null);
                continue;
            }
            if (entry.Links > 1 && firstNames.TryGetValue((entry.Device, entry.Inode), out var first))
            {
                entry.HardlinkTarget = first;
                builder.Add(entry, null);
                continue;
            }
            if (entry.Links > 1) firstNames[(entry.Device, entry.Inode)] = entry.Path;
            builder.Add(entry, data.AsMemory(spec.GetProperty("data").GetInt32(), spec.GetProperty("stored").GetInt32()));
        }
        return builder;
    }

    private static CatalogEntry Entry(JsonElement spec)
    {
        var entry = new CatalogEntry
        {
            Path = Hex(spec, "path"),
            Type = spec.GetProperty("type").GetString() switch
            {
                "file" => EntryType.File,
                "dir" => EntryType.Directory,
                "symlink" => EntryType.Symlink,
                "fifo" => EntryType.Fifo,
                "char" => EntryType.CharDevice,
                "block" => EntryType.BlockDevice,
                _ => EntryType.Socket,
            },
            Mode = spec.GetProperty("mode").GetUInt32(),
            Uid = spec.GetProperty("uid").GetUInt32(),
            Gid = spec.GetProperty("gid").GetUInt32(),
            MtimeUnixNanos = spec.GetProperty("mtime").GetInt64(),
            AtimeUnixNanos = spec.GetProperty("atime").GetInt64(),
            CtimeUnixNanos = spec.GetProperty("ctime").GetInt64(),
            Size = spec.GetProperty("size").GetUInt64(),
            Rdev = spec.GetProperty("rdev").GetUInt64(),
            Device = spec.GetProperty("dev").GetUInt64(),
            Inode = spec.GetProperty("ino").GetUInt64(),
            Links = spec.GetProperty("nlink").GetUInt64(),
        };
        if (entry.Type == EntryType.Symlink) entry.SymlinkTarget = Hex(spec, "target");
        foreach (var xattr in spec.GetProperty("xattrs").EnumerateArray())
            entry.Xattrs.Add(new Xattr { Name = HexBytes(xattr[0].GetString()!), Value = HexBytes(xattr[1].GetString()!) });
        if (spec.TryGetProperty("extents", out var extents) && extents.ValueKind == JsonValueKind.Array)
        {
            foreach (var extent in extents.EnumerateArray())
                entry.Extents.Add(new Extent { Offset = extent[0].GetUInt64(), Length = extent[1].GetUInt64() });
        }
        return entry;
    }

    private static ByteString Hex(JsonElement spec, string name) => HexBytes(spec.GetProperty(name).GetString()!);

    private static ByteString HexBytes(string hex) => ByteString.CopyFrom(Convert.FromHexString(hex));
}
