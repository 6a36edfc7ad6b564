using System.Globalization;
using System.Text.Json.Nodes;
using Bunker.Client.Files.Catalog;
using Bunker.Client.Output;
using Bunker.Protocol.V1;
using Google.Protobuf;

namespace Bunker.Client.Commands;

/// <summary>How catalog entries look in <c>ls</c> and <c>diff</c>: absolute paths, ls -l style lines, and JSON objects.</summary>
internal static class CatalogEntryFormat
{
    /// <summary>
    /// The entry's path as the host knew it: catalog paths are absolute paths without their leading '/'.
    /// Bytes that are not UTF-8 show as \xNN.
    /// </summary>
    public static string Path(ReadOnlySpan<byte> path) => "/" + CatalogPath.Display(path);

    /// <summary>An ls -l line: type and permissions, owner/group, size (major, minor for a device), local mtime, path, and a link's target.</summary>
    public static string LongLine(CatalogEntry entry)
    {
        string owner = (entry.User.Length > 0 ? entry.User : entry.Uid.ToString(CultureInfo.InvariantCulture))
            + "/" + (entry.Group.Length > 0 ? entry.Group : entry.Gid.ToString(CultureInfo.InvariantCulture));
        string size = entry.Type is EntryType.CharDevice or EntryType.BlockDevice
            ? $"{Major(entry.Rdev)}, {Minor(entry.Rdev)}"
            : entry.Size.ToString(CultureInfo.InvariantCulture);
        string line = $"{Mode(entry.Type, entry.Mode)} {owner,-17} {size,12} {Formats.LocalTime(entry.MtimeUnixNanos)} {Path(entry.Path.Span)}";
        if (entry.Type == EntryType.Symlink) line += " -> " + CatalogPath.Display(entry.SymlinkTarget.Span);
        if (!entry.HardlinkTarget.IsEmpty) line += " => " + Path(entry.HardlinkTarget.Span);
        return line;
    }

    /// <summary>ls -l's ten characters: the type, then rwx for user, group and others with setuid, setgid and sticky folded in.</summary>
    public static string Mode(EntryType type, uint mode)
    {
        Span<char> text = stackalloc char[10];
        text[0] = type switch
        {
            EntryType.Directory => 'd',
            EntryType.Symlink => 'l',
            EntryType.Fifo => 'p',
            EntryType.CharDevice => 'c',
            EntryType.BlockDevice => 'b',
            EntryType.Socket => 's',
            _ => '-',
        };
        const string Letters = "rwxrwxrwx";
        for (int i = 0; i < 9; i++)
            text[1 + i] = (mode & (1u << (8 - i))) != 0 ? Letters[i] : '-';
        Special(text, 3, (mode & 0x800) != 0, 's');
        Special(text, 6, (mode & 0x400) != 0, 's');
        Special(text, 9, (mode & 0x200) != 0, 't');
        return new string(text);
    }

    // setuid/setgid/sticky replace the x: lowercase over a set x, uppercase over a clear one.
    private static void Special(Span<char> text, int at, bool set, char letter)
    {
        if (set) text[at] = text[at] == 'x' ? letter : char.ToUpperInvariant(letter);
    }

    /// <summary>One entry as a JSON object; a path or target that is not UTF-8 also comes as base64 of its exact bytes.</summary>
    public static JsonObject Json(CatalogEntry entry)
    {
        var json = new JsonObject();
        AddPath(json, "path", entry.Path, absolute: true);
        json["type"] = TypeName(entry.Type);
        json["mode"] = Mode(entry.Type, entry.Mode);
        json["permissions"] = Convert.ToString(entry.Mode & 0xfff, 8).PadLeft(4, '0');
        json["uid"] = entry.Uid;
        json["gid"] = entry.Gid;
        json["user"] = Formats.JsonOrNull(entry.User);
        json["group"] = Formats.JsonOrNull(entry.Group);
        json["size"] = entry.Size;
        json["mtime"] = Formats.UtcTime(entry.MtimeUnixNanos);
        json["mtimeUnixNanos"] = entry.MtimeUnixNanos;
        if (entry.Type == EntryType.Symlink) AddPath(json, "symlinkTarget", entry.SymlinkTarget, absolute: false);
        if (!entry.HardlinkTarget.IsEmpty) AddPath(json, "hardlinkTarget", entry.HardlinkTarget, absolute: true);
        if (entry.Type is EntryType.CharDevice or EntryType.BlockDevice)
        {
            json["major"] = Major(entry.Rdev);
            json["minor"] = Minor(entry.Rdev);
        }
        if (entry.Extents.Count > 0) json["sparse"] = true;
        if (entry.ChangedDuringBackup) json["changedDuringBackup"] = true;
        return json;
    }

    public static string TypeName(EntryType type) => type switch
    {
        EntryType.File => "file",
        EntryType.Directory => "dir",
        EntryType.Symlink => "symlink",
        EntryType.Fifo => "fifo",
        EntryType.CharDevice => "chardev",
        EntryType.BlockDevice => "blockdev",
        EntryType.Socket => "socket",
        _ => "unknown",
    };

    /// <summary>
    /// UTF-8 text goes into JSON exactly (JSON escapes what it must). Other bytes cannot: the text is then the
    /// \xNN display form, for people, and <c>NAMEBase64</c> holds the exact bytes, for tools.
    /// </summary>
    public static void AddPath(JsonObject json, string name, ByteString bytes, bool absolute)
    {
        var span = bytes.Span;
        string prefix = absolute ? "/" : "";
        if (CatalogPath.IsUtf8(span))
        {
            json[name] = prefix + bytes.ToStringUtf8();
            return;
        }
        json[name] = prefix + CatalogPath.Display(span);
        byte[] exact = absolute ? [(byte)'/', .. span] : span.ToArray();
        json[name + "Base64"] = Convert.ToBase64String(exact);
    }

    // Linux's dev_t encoding (glibc's gnu_dev_major/minor).
    private static ulong Major(ulong rdev) => ((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~0xfffUL);
    private static ulong Minor(ulong rdev) => (rdev & 0xff) | ((rdev >> 12) & ~0xffUL);
}
