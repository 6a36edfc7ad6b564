using System.Text;
using Bunker.Client.Files.Catalog;
using Bunker.Protocol.V1;
using Google.Protobuf;

namespace Bunker.Client.Tests.Files;

/// <summary>The catalog's byte format: what the writer produces the reader gives back, and what a hostile server sends is refused.</summary>
public sealed class CatalogCodecTests
{
    private static CatalogEntry Entry(string path, EntryType type = EntryType.File) =>
        new() { Path = ByteString.CopyFromUtf8(path), Type = type, Mode = 420 /* 0644 */, Size = 3 };

    private static async Task<byte[]> WriteAsync(params CatalogEntry[] entries)
    {
        var output = new MemoryStream();
        var writer = new CatalogWriter(output, new CatalogHeader { Version = CatalogReader.Version, Roots = { ByteString.CopyFromUtf8("/data") } });
        foreach (var entry in entries) await writer.WriteAsync(entry);
        await writer.CompleteAsync();
        return output.ToArray();
    }

    private static async Task<List<CatalogEntry>> ReadAllAsync(byte[] bytes)
    {
        var reader = await CatalogReader.OpenAsync(new MemoryStream(bytes));
        var entries = new List<CatalogEntry>();
        while (await reader.ReadAsync() is { } entry) entries.Add(entry);
        return entries;
    }

    [Fact]
    public async Task What_is_written_reads_back_in_order_with_the_header()
    {
        var nonUtf8 = Entry("x");
        nonUtf8.Path = ByteString.CopyFrom([.. "data/"u8, 0xff]);
        nonUtf8.Xattrs.Add(new Xattr { Name = ByteString.CopyFromUtf8("user.k"), Value = ByteString.CopyFrom(0, 1, 2) });
        var ordered = new[] { Entry("data", EntryType.Directory), Entry("data/a.b"), nonUtf8, Entry("data0") };
        var bytes = await WriteAsync(ordered);

        var reader = await CatalogReader.OpenAsync(new MemoryStream(bytes));
        Assert.Equal("/data", reader.Header.Roots[0].ToStringUtf8());
        var read = await ReadAllAsync(bytes);
        Assert.Equal(ordered, read);
    }

    [Fact]
    public async Task An_empty_catalog_still_has_its_header()
    {
        var bytes = await WriteAsync();
        Assert.Empty(await ReadAllAsync(bytes));
    }

    [Fact]
    public async Task The_writer_refuses_entries_out_of_order_or_unsafe()
    {
        var writer = new CatalogWriter(new MemoryStream(), new CatalogHeader { Version = 1 });
        await writer.WriteAsync(Entry("b"));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => writer.WriteAsync(Entry("a")).AsTask());
        Assert.Contains("does not sort after 'b'", error.Message);
        await Assert.ThrowsAsync<InvalidOperationException>(() => writer.WriteAsync(Entry("c/../x")).AsTask());
    }

    [Fact]
    public async Task A_truncated_catalog_is_refused_at_every_cut()
    {
        var bytes = await WriteAsync(Entry("a"), Entry("b"));
        var whole = await ReadAllAsync(bytes);
        Assert.Equal(2, whole.Count);
        for (int cut = 1; cut < bytes.Length; cut++)
        {
            var error = await Record.ExceptionAsync(() => ReadAllAsync(bytes[..cut]));
            // A cut exactly between messages is a shorter, valid catalog; anywhere else it is an error.
            if (error is null) continue;
            Assert.IsType<InvalidDataException>(error);
        }
        Assert.IsType<InvalidDataException>(await Record.ExceptionAsync(() => ReadAllAsync([])));
    }

    [Fact]
    public async Task Hostile_entries_are_refused_with_the_reason()
    {
        foreach (var (path, reason) in new[] { ("../etc/passwd", "'..'"), ("/etc/passwd", "absolute"), ("a\0b", "NUL") })
        {
            var bytes = Concat(Header(), Delimited(Entry(path)));
            var error = await Assert.ThrowsAsync<InvalidDataException>(() => ReadAllAsync(bytes));
            Assert.Contains(reason, error.Message);
        }
        var outOfOrder = Concat(Header(), Delimited(Entry("b")), Delimited(Entry("a")));
        Assert.Contains("out of order", (await Assert.ThrowsAsync<InvalidDataException>(() => ReadAllAsync(outOfOrder))).Message);
        var duplicate = Concat(Header(), Delimited(Entry("a")), Delimited(Entry("a")));
        Assert.Contains("out of order", (await Assert.ThrowsAsync<InvalidDataException>(() => ReadAllAsync(duplicate))).Message);
        var untyped = Concat(Header(), Delimited(Entry("a", EntryType.Unspecified)));
        Assert.Contains("unknown type", (await Assert.ThrowsAsync<InvalidDataException>(() => ReadAllAsync(untyped))).Message);
    }

    [Fact]
    public async Task Oversized_and_malformed_messages_are_refused_without_allocating_them()
    {
        // A length prefix of 2 GiB: refused from the prefix alone.
        var huge = Concat(Header(), [0x80, 0x80, 0x80, 0x80, 0x08]);
        Assert.Contains("at most", (await Assert.ThrowsAsync<InvalidDataException>(() => ReadAllAsync(huge))).Message);
        var overlong = Concat(Header(), [0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
        await Assert.ThrowsAsync<InvalidDataException>(() => ReadAllAsync(overlong));
        var garbage = Concat(Header(), [3, 0xff, 0xff, 0xff]);
        Assert.Contains("malformed", (await Assert.ThrowsAsync<InvalidDataException>(() => ReadAllAsync(garbage))).Message);
        var future = Delimited(new CatalogHeader { Version = 2 });
        Assert.Contains("version 2", (await Assert.ThrowsAsync<InvalidDataException>(() => ReadAllAsync(future))).Message);
    }

    private static byte[] Header() => Delimited(new CatalogHeader { Version = CatalogReader.Version });

    private static byte[] Delimited(IMessage message)
    {
        var output = new MemoryStream();
        message.WriteDelimitedTo(output);
        return output.ToArray();
    }

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
}
