using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Bunker.Client.Connection;

/// <summary>
/// Trusts server certificates that chain to the CA certificates of one PEM file, so a bunkerd with a
/// self-signed or private CA can be used without adding that CA to the machine's store.
/// </summary>
internal sealed class CaCertificateTrust
{
    private readonly X509Certificate2Collection _roots;

    private CaCertificateTrust(X509Certificate2Collection roots) => _roots = roots;

    public static CaCertificateTrust Load(string pemFile)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(pemFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new UsageException($"cannot read CA certificate '{pemFile}' (--ca-cert or {ConnectionSettings.CaCertificateVariable}): {e.Message}");
        }
        if (roots.Count == 0)
        {
            throw new UsageException($"CA certificate '{pemFile}' holds no PEM certificate");
        }
        return new CaCertificateTrust(roots);
    }

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? presentedChain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None) return true; // the machine's own store already trusts it
        // The host name must still match and a certificate must have been sent: only the chain's root is ours to judge.
        if ((errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0 || certificate is null) return false;

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_roots);
        // A private CA rarely publishes revocation lists; checking would fail every connection offline.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        // Intermediates the server sent help build the path to our root.
        if (presentedChain is not null)
        {
            foreach (var element in presentedChain.ChainElements) chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        }
        return chain.Build(certificate as X509Certificate2 ?? new X509Certificate2(certificate));
    }
}
