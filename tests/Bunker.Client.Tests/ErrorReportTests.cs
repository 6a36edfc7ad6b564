using System.Net.Http;
using System.Security.Authentication;
using Bunker.Client.Commands;
using Bunker.Protocol.Grpc;

namespace Bunker.Client.Tests;

public sealed class ErrorReportTests
{
    [Theory]
    [InlineData(StatusCode.OK, "OK")]
    [InlineData(StatusCode.DeadlineExceeded, "DEADLINE_EXCEEDED")]
    [InlineData(StatusCode.FailedPrecondition, "FAILED_PRECONDITION")]
    [InlineData(StatusCode.DataLoss, "DATA_LOSS")]
    public void StatusNamesAreTheCanonicalGrpcOnes(StatusCode code, string name) =>
        Assert.Equal(name, ErrorReport.CanonicalName(code));

    [Fact]
    public void EmptyDetailLeavesJustTheName() =>
        Assert.Equal("bunker: INTERNAL", ErrorReport.Describe(new Status(StatusCode.Internal, ""), server: null));

    [Fact]
    public void AFailedHandshakeShowsItsReasonNotSeeInnerException()
    {
        var failure = new HttpRequestException("The SSL connection could not be established, see inner exception.",
            new AuthenticationException("The remote certificate is invalid because of errors in the certificate chain: UntrustedRoot"));
        var status = new Status(StatusCode.Unavailable, "Error starting gRPC call: " + failure.Message, failure);
        var server = new Uri("https://backup.example:7070");

        Assert.Equal(
            "bunker: UNAVAILABLE: TLS handshake with https://backup.example:7070 failed: The remote certificate is invalid because of errors in the certificate chain: UntrustedRoot; " +
            "the server's certificate is not trusted by this machine. If a private CA signed it, pass that CA's PEM file with --ca-cert or BUNKER_CA_CERT.",
            ErrorReport.Describe(status, server));
        Assert.EndsWith("must chain to the CA in 'ca.pem' (--ca-cert or BUNKER_CA_CERT) and name the host of the URL.", ErrorReport.Describe(status, server, "ca.pem"));
    }

    [Fact]
    public void AHandshakeThatIsNotAboutTheCertificateAsksWhetherTheServerServesTls()
    {
        var failure = new HttpRequestException("The SSL connection could not be established, see inner exception.",
            new AuthenticationException("Cannot determine the frame size or a corrupted frame was received."));
        var status = new Status(StatusCode.Unavailable, failure.Message, failure);
        Assert.EndsWith("does bunkerd serve TLS there? Without --tls-cert it serves plain http://.", ErrorReport.Describe(status, new Uri("https://127.0.0.1:7070")));
    }

    [Fact]
    public void AConnectionRefusedAsksWhetherBunkerdRuns()
    {
        var failure = new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (127.0.0.1:7070)",
            new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionRefused));
        var status = new Status(StatusCode.Unavailable, "Error starting gRPC call: " + failure.Message, failure);
        Assert.EndsWith("; is bunkerd running at http://127.0.0.1:7070? The server is set with --server or BUNKER_SERVER.",
            ErrorReport.Describe(status, new Uri("http://127.0.0.1:7070")));
    }

    [Theory]
    [InlineData(HttpRequestError.InvalidResponse, true)]
    [InlineData(HttpRequestError.Unknown, true)]
    [InlineData(HttpRequestError.Unknown, false)]
    public void PlainHttpToATlsPortHintsAtHttps(HttpRequestError error, bool inner)
    {
        // What SocketsHttpHandler throws when the HTTP/2 preface meets a TLS listener; which one depends on timing.
        var failure = new HttpRequestException(error, "An HTTP/2 connection could not be established because the server did not complete the HTTP/2 handshake.",
            inner ? new HttpIOException(HttpRequestError.ResponseEnded, "The response ended prematurely.") : null);
        var status = new Status(StatusCode.Unavailable, failure.Message, failure);
        Assert.EndsWith("; something answers at http://127.0.0.1:7443 but not with HTTP/2 over plain TCP; if bunkerd serves TLS there, use https://.",
            ErrorReport.Describe(status, new Uri("http://127.0.0.1:7443")));
    }
}
