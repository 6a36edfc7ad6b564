using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Bunker.Tests.Shared;

/// <summary>
/// A private CA and a server certificate it signed, made fresh for the tests: for 127.0.0.1, plus any
/// <c>dnsNames</c> given. Compiled into each test project that needs it.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    public TestCertificates(params string[] dnsNames)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Bunker Test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var now = DateTimeOffset.UtcNow;
        Ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        foreach (var name in dnsNames) names.AddDnsName(name);
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false)); // server auth
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        using var signed = serverRequest.Create(Ca, now.AddDays(-1), now.AddDays(29), [1, 2, 3, 4]);
        Server = signed.CopyWithPrivateKey(serverKey);
    }

    public X509Certificate2 Ca { get; }
    public X509Certificate2 Server { get; }

    /// <summary>DIRECTORY/ca.pem: the CA certificate, as a client's --ca-cert wants it.</summary>
    public string WriteCaPem(string directory)
    {
        var path = Path.Combine(directory, "ca.pem");
        File.WriteAllText(path, Ca.ExportCertificatePem());
        return path;
    }

    /// <summary>DIRECTORY/server.pem and DIRECTORY/server.key (PKCS#8, 0600): what bunkerd's --tls-cert and --tls-key want.</summary>
    public (string Cert, string Key) WriteServerPem(string directory)
    {
        var cert = Path.Combine(directory, "server.pem");
        var key = Path.Combine(directory, "server.key");
        File.WriteAllText(cert, Server.ExportCertificatePem());
        File.WriteAllText(key, "");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using var privateKey = Server.GetECDsaPrivateKey() ?? throw new InvalidOperationException("the server certificate has no ECDSA key");
        File.WriteAllText(key, privateKey.ExportPkcs8PrivateKeyPem());
        return (cert, key);
    }

    public void Dispose()
    {
        Ca.Dispose();
        Server.Dispose();
    }
}
