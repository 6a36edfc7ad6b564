using Bunker.Client.Vm.Nbd;

namespace Bunker.Client.Tests.Vm;

public sealed class NbdAddressTests
{
    [Theory]
    [InlineData("nbd://127.0.0.1/disk", "127.0.0.1", 10809, null, "disk")]
    [InlineData("nbd://127.0.0.1:10900/disk", "127.0.0.1", 10900, null, "disk")]
    [InlineData("nbd://[::1]:10900/a%20b", "::1", 10900, null, "a b")]
    [InlineData("nbd://backup-host/", "backup-host", 10809, null, "")]
    [InlineData("nbd+unix:///sda?socket=/run/web.sock", null, 0, "/run/web.sock", "sda")]
    [InlineData("nbd+unix:///?socket=/tmp/x.sock", null, 0, "/tmp/x.sock", "")]
    public void Uris_name_the_server_and_the_export(string uri, string? host, int port, string? socket, string name)
    {
        var address = NbdAddress.Parse(uri);
        Assert.Equal(host, address.Host);
        Assert.Equal(port, address.Port);
        Assert.Equal(socket, address.SocketPath);
        Assert.Equal(name, address.ExportName);
        // What is printed parses back to the same place.
        Assert.Equal(address, NbdAddress.Parse(address.ToString()));
    }

    [Theory]
    [InlineData("nbds://127.0.0.1/disk", "TLS")]
    [InlineData("http://127.0.0.1/disk", "not NBD")]
    [InlineData("nbd:///disk", "needs a host")]
    [InlineData("nbd+unix:///disk", "socket=PATH")]
    [InlineData("nbd+unix://host/disk?socket=/x", "no host")]
    [InlineData("nbd+unix:///disk?sock=/x", "unknown query parameter 'sock'")]
    [InlineData("nbd://h/disk?tls=on", "no query")]
    [InlineData("nbd://h/a%00b", "NUL")]
    [InlineData("not a uri", "not a URI")]
    public void Malformed_uris_say_what_is_wrong(string uri, string reason)
    {
        var e = Assert.Throws<FormatException>(() => NbdAddress.Parse(uri));
        Assert.Contains(reason, e.Message);
    }

    [Theory]
    [InlineData("unix:/run/b.sock", null, 0, "/run/b.sock")]
    [InlineData("127.0.0.1:0", "127.0.0.1", 0, null)]
    [InlineData("*:10809", "0.0.0.0", 10809, null)]
    [InlineData("localhost:7000", "127.0.0.1", 7000, null)]
    [InlineData("[::1]:7000", "::1", 7000, null)]
    public void Listen_addresses_are_tcp_or_unix(string listen, string? host, int port, string? socket)
    {
        var address = NbdAddress.ParseListen(listen, "sda");
        Assert.Equal(host, address.Host);
        Assert.Equal(port, address.Port);
        Assert.Equal(socket, address.SocketPath);
    }

    [Theory]
    [InlineData("unix:")]
    [InlineData("7000")]
    [InlineData("example.com:7000")]
    [InlineData("127.0.0.1:70000")]
    [InlineData("127.0.0.1:port")]
    public void Bad_listen_addresses_are_refused(string listen) =>
        Assert.Throws<FormatException>(() => NbdAddress.ParseListen(listen, "sda"));
}
