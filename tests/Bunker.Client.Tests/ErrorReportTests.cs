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
}
