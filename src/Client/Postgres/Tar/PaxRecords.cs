using System.Buffers.Text;
using Bunker.Client.Files.Catalog;

namespace Bunker.Client.Postgres.Tar;

/// <summary>
/// The records of a PAX extended header ('x'): "LENGTH KEY=VALUE\n", LENGTH counting the whole record. Only
/// "path" and "size" change what is extracted; every other key (times, owners, xattrs) is read past.
/// </summary>
internal static class PaxRecords
{
    /// <summary>Applies the records in <paramref name="data"/> to <paramref name="path"/> and <paramref name="size"/> (left as they are when absent).</summary>
    public static void Apply(ReadOnlySpan<byte> data, long offset, ref byte[]? path, ref long? size)
    {
        while (!data.IsEmpty)
        {
            int space = data.IndexOf((byte)' ');
            if (space <= 0 || !Utf8Parser.TryParse(data[..space], out int length, out int used) || used != space
                || length <= space + 1 || length > data.Length || data[length - 1] != (byte)'\n')
                throw Malformed(offset, "a record's length is missing or wrong");
            var record = data[(space + 1)..(length - 1)];
            int equals = record.IndexOf((byte)'=');
            if (equals <= 0) throw Malformed(offset, "a record has no key");
            var key = record[..equals];
            var value = record[(equals + 1)..];
            if (key.SequenceEqual("path"u8))
            {
                path = value.ToArray();
            }
            else if (key.SequenceEqual("size"u8))
            {
                if (!Utf8Parser.TryParse(value, out long parsed, out int digits) || digits != value.Length || parsed < 0)
                    throw Malformed(offset, $"the size '{CatalogPath.Display(value)}' is not a number");
                size = parsed;
            }
            data = data[length..];
        }
    }

    private static TarFormatException Malformed(long offset, string what) =>
        new($"tar PAX extended header at offset {offset}: {what}");
}
