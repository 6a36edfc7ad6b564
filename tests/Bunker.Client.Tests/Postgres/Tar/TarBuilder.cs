using System.Text;

namespace Bunker.Client.Tests.Postgres.Tar;

/// <summary>
/// A tiny tar writer for the tests, written from the POSIX ustar layout, so that archives can be made that no
/// real tar would write: hostile names, links, devices, broken fields. <c>patch</c> changes a header before its
/// checksum is computed (a field is wrong, the checksum right); <see cref="CorruptLastChecksum"/> breaks it after.
/// </summary>
internal sealed class TarBuilder
{
    private readonly MemoryStream _archive = new();
    private long _lastHeader = -1;

    public TarBuilder File(string name, string content, int mode = 0x1A4 /* 0644 */, long mtime = 1_700_000_000) =>
        Member(name, (byte)'0', Encoding.UTF8.GetBytes(content), mode, mtime);

    public TarBuilder Directory(string name, int mode = 0x1ED /* 0755 */, long mtime = 1_700_000_000) =>
        Member(name, (byte)'5', [], mode, mtime);

    public TarBuilder Link(string name, byte type, string target) => Member(name, type, [], 0x1FF, 1_700_000_000, target);

    /// <summary>A PAX extended header ('x') with these records, for the member that follows.</summary>
    public TarBuilder Pax(params (string Key, string Value)[] records)
    {
        var data = new StringBuilder();
        foreach (var (key, value) in records)
        {
            // The length counts itself: grow it until the digits it adds are accounted for.
            string body = $" {key}={value}\n";
            int bodyLength = Encoding.UTF8.GetByteCount(body);
            int length = bodyLength + 1;
            while (length.ToString().Length + bodyLength != length) length = length.ToString().Length + bodyLength;
            data.Append(length).Append(body);
        }
        return Member("PaxHeader", (byte)'x', Encoding.UTF8.GetBytes(data.ToString()), 0x1A4, 0);
    }

    /// <summary>A GNU long name ('L') for the member that follows.</summary>
    public TarBuilder LongName(string name) => Member("././@LongLink", (byte)'L', Encoding.UTF8.GetBytes(name + "\0"), 0x1A4, 0);

    /// <summary>One member: a header with these fields (ustar magic), then its data padded to whole blocks.</summary>
    public TarBuilder Member(string name, byte type, byte[] data, int mode, long mtime, string linkName = "", Action<byte[]>? patch = null, string prefix = "")
    {
        var header = new byte[512];
        Text(header, 0, 100, name);
        Octal(header, 100, 8, mode);
        Octal(header, 108, 8, 0);
        Octal(header, 116, 8, 0);
        Octal(header, 124, 12, data.Length);
        Octal(header, 136, 12, mtime);
        header[156] = type;
        Text(header, 157, 100, linkName);
        Text(header, 257, 6, "ustar\0");
        Text(header, 263, 2, "00");
        Text(header, 345, 155, prefix);
        patch?.Invoke(header);
        SetChecksum(header);
        _lastHeader = _archive.Length;
        _archive.Write(header);
        _archive.Write(data);
        _archive.Write(new byte[(512 - data.Length % 512) % 512]);
        return this;
    }

    /// <summary>Raw bytes, as they are (a truncated header, data after the end).</summary>
    public TarBuilder Raw(byte[] bytes)
    {
        _archive.Write(bytes);
        return this;
    }

    /// <summary>The end marker: two zero blocks.</summary>
    public TarBuilder End() => Raw(new byte[1024]);

    public TarBuilder CorruptLastChecksum()
    {
        var bytes = _archive.GetBuffer();
        bytes[_lastHeader + 148] = (byte)(bytes[_lastHeader + 148] == '1' ? '2' : '1');
        return this;
    }

    public byte[] ToArray() => _archive.ToArray();

    /// <summary>The sum of the header's bytes with its checksum field as spaces, as 6 octal digits, NUL, space.</summary>
    public static void SetChecksum(byte[] header)
    {
        header.AsSpan(148, 8).Fill((byte)' ');
        int sum = 0;
        foreach (byte b in header) sum += b;
        Text(header, 148, 8, Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ");
    }

    public static void Text(byte[] header, int offset, int length, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        header.AsSpan(offset, length).Clear();
        bytes.AsSpan(0, Math.Min(bytes.Length, length)).CopyTo(header.AsSpan(offset));
    }

    private static void Octal(byte[] header, int offset, int length, long value) =>
        Text(header, offset, length, Convert.ToString(value, 8).PadLeft(length - 1, '0') + "\0");
}
