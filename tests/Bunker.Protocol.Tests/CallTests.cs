using Bunker.Protocol.Grpc;
using Bunker.Protocol.Tests.Echo;
using Google.Protobuf;
using Grpc.Health.V1;

namespace Bunker.Protocol.Tests;

public sealed class CallTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static CallOptions Timeout(int seconds = 10) => new(deadline: DateTime.UtcNow.AddSeconds(seconds));

    [Fact]
    public async Task Unary_round_trips_message_headers_and_trailers_including_binary()
    {
        using var channel = server.CreateChannel();
        var invoker = channel.CreateCallInvoker();
        var headers = new Metadata { { "x-echo-text", "hello" }, { "x-echo-bin", new byte[] { 0, 1, 2, 250, 255 } } };
        using var call = invoker.AsyncUnaryCall(EchoMethods.Unary, null, new CallOptions(headers, DateTime.UtcNow.AddSeconds(10)),
            new EchoRequest { Message = "hi ü" });

        var reply = await call.ResponseAsync;
        Assert.Equal("hi ü", reply.Message);
        var responseHeaders = await call.ResponseHeadersAsync;
        Assert.Equal("hello", responseHeaders.GetValue("x-echo-text"));
        Assert.Equal(new byte[] { 0, 1, 2, 250, 255 }, responseHeaders.GetValueBytes("x-echo-bin"));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.Equal("hello", call.GetTrailers().GetValue("x-trailer-text"));
        Assert.Equal(new byte[] { 0, 1, 2, 250, 255 }, call.GetTrailers().GetValueBytes("x-trailer-bin"));
    }

    [Fact]
    public async Task Client_streaming_collects_every_message()
    {
        using var channel = server.CreateChannel();
        using var call = channel.CreateCallInvoker().AsyncClientStreamingCall(EchoMethods.ClientStream, null, Timeout());
        for (var i = 0; i < 100; i++)
        {
            await call.RequestStream.WriteAsync(new EchoRequest { Message = i.ToString(), Payload = ByteString.CopyFrom(new byte[1000]) });
        }
        await call.RequestStream.CompleteAsync();
        var reply = await call;
        Assert.Equal(100, reply.Index);
        Assert.Equal("100000", reply.Payload.ToStringUtf8());
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task Server_streaming_delivers_in_order_then_ok()
    {
        using var channel = server.CreateChannel();
        using var call = channel.CreateCallInvoker().AsyncServerStreamingCall(EchoMethods.ServerStream, null, Timeout(),
            new EchoRequest { Message = "s", Count = 50 });
        var indexes = new List<int>();
        await foreach (var reply in call.ResponseStream.ReadAllAsync()) indexes.Add(reply.Index);
        Assert.Equal(Enumerable.Range(0, 50), indexes);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task Server_streaming_error_after_messages_arrives_in_trailers()
    {
        using var channel = server.CreateChannel();
        using var call = channel.CreateCallInvoker().AsyncServerStreamingCall(EchoMethods.ServerStream, null, Timeout(),
            new EchoRequest { Message = "late failure", Count = 3, StatusCode = (int)StatusCode.DataLoss });
        var received = 0;
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None)) received++;
        });
        Assert.Equal(3, received);
        Assert.Equal(StatusCode.DataLoss, e.StatusCode);
        Assert.Equal("late failure", e.Status.Detail);
        Assert.Equal("detail for DataLoss", e.Trailers.GetValue("x-error-detail"));
    }

    [Fact]
    public async Task Duplex_echoes_each_message_as_it_arrives()
    {
        using var channel = server.CreateChannel();
        using var call = channel.CreateCallInvoker().AsyncDuplexStreamingCall(EchoMethods.Duplex, null, Timeout());
        for (var i = 0; i < 20; i++)
        {
            await call.RequestStream.WriteAsync(new EchoRequest { Message = "m" + i });
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal("m" + i, call.ResponseStream.Current.Message);
            Assert.Equal(i, call.ResponseStream.Current.Index);
        }
        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task A_write_broken_because_the_server_ended_the_call_reports_the_servers_status()
    {
        using var channel = server.CreateChannel();
        using var call = channel.CreateCallInvoker().AsyncDuplexStreamingCall(EchoMethods.Duplex, null, Timeout());
        // A pipelining client reads the responses while it writes.
        var reading = Task.Run(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None)) { }
        });
        await call.RequestStream.WriteAsync(new EchoRequest { Message = "full", StatusCode = (int)StatusCode.ResourceExhausted });
        var payload = ByteString.CopyFrom(new byte[64 << 10]);
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            for (var i = 0; i < 10_000; i++) await call.RequestStream.WriteAsync(new EchoRequest { Payload = payload });
        });
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Equal("full", e.Status.Detail);
        Assert.Equal(StatusCode.ResourceExhausted, (await Assert.ThrowsAsync<RpcException>(() => reading)).StatusCode);
    }

    [Theory]
    [InlineData(StatusCode.NotFound, "no such thing")]
    [InlineData(StatusCode.PermissionDenied, "100% denied\nline two ✓")]
    [InlineData(StatusCode.Unauthenticated, "who are you")]
    public async Task RpcException_from_handler_reaches_client_with_status_message_and_trailers(StatusCode code, string message)
    {
        using var channel = server.CreateChannel();
        var call = channel.CreateCallInvoker().AsyncUnaryCall(EchoMethods.Unary, null, Timeout(),
            new EchoRequest { Message = message, StatusCode = (int)code });
        var e = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        Assert.Equal(code, e.StatusCode);
        Assert.Equal(message, e.Status.Detail);
        Assert.Equal("detail for " + code, e.Trailers.GetValue("x-error-detail"));
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, e.Trailers.GetValueBytes("x-error-bin"));
        Assert.Equal(code, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task Unhandled_exception_is_unknown_with_a_generic_message()
    {
        using var channel = server.CreateChannel();
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await channel.CreateCallInvoker().AsyncUnaryCall(EchoMethods.Unary, null, Timeout(), new EchoRequest { Message = "throw" }));
        Assert.Equal(StatusCode.Unknown, e.StatusCode);
        Assert.DoesNotContain("secret", e.Status.Detail);
        Assert.DoesNotContain("Bunker.Secret", e.Status.Detail);
    }

    [Fact]
    public async Task Pre_call_hook_can_refuse_a_call()
    {
        using var channel = server.CreateChannel();
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await channel.CreateCallInvoker().AsyncUnaryCall(EchoMethods.Unary, null,
                new CallOptions(new Metadata { { "x-deny", "no token" } }, DateTime.UtcNow.AddSeconds(10)), new EchoRequest()));
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        Assert.Equal("denied: no token", e.Status.Detail);
    }

    [Fact]
    public async Task Slow_handler_ends_with_deadline_exceeded_and_its_token_fires()
    {
        server.Echo.ResetSignals();
        using var channel = server.CreateChannel();
        var started = DateTime.UtcNow;
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await channel.CreateCallInvoker().AsyncUnaryCall(EchoMethods.Unary, null, new CallOptions(deadline: DateTime.UtcNow.AddMilliseconds(300)),
                new EchoRequest { DelayMs = 20_000 }));
        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
        Assert.True(await server.Echo.HandlerCancelled.Task.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Deadline_already_past_fails_without_a_request()
    {
        using var channel = server.CreateChannel();
        var call = channel.CreateCallInvoker().AsyncUnaryCall(EchoMethods.Unary, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(-1)), new EchoRequest());
        var e = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
    }

    [Fact]
    public async Task Client_cancellation_reaches_the_server_handler()
    {
        server.Echo.ResetSignals();
        using var channel = server.CreateChannel();
        using var cts = new CancellationTokenSource();
        var call = channel.CreateCallInvoker().AsyncUnaryCall(EchoMethods.Unary, null, new CallOptions(cancellationToken: cts.Token),
            new EchoRequest { DelayMs = 30_000 });
        await server.Echo.HandlerDelaying.Task.WaitAsync(TimeSpan.FromSeconds(5));
        cts.Cancel();
        var e = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        Assert.Equal(StatusCode.Cancelled, e.StatusCode);
        Assert.True(await server.Echo.HandlerCancelled.Task.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Oversized_request_is_resource_exhausted_at_the_server()
    {
        using var channel = server.CreateChannel();
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await channel.CreateCallInvoker().AsyncUnaryCall(EchoMethods.Unary, null, Timeout(),
                new EchoRequest { Payload = ByteString.CopyFrom(new byte[ServerFixture.ServerMaxReceive + 10]) }));
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Contains("maximum", e.Status.Detail);
    }

    [Fact]
    public async Task Oversized_response_is_resource_exhausted_at_the_client()
    {
        using var channel = server.CreateChannel(new GrpcChannelOptions { MaxReceiveMessageSize = 10_000 });
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await channel.CreateCallInvoker().AsyncUnaryCall(EchoMethods.Unary, null, Timeout(), new EchoRequest { ReplySize = 20_000 }));
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        // The server is still fine afterwards.
        var ok = await channel.CreateCallInvoker().AsyncUnaryCall(EchoMethods.Unary, null, Timeout(), new EchoRequest { Message = "after", ReplySize = 100 });
        Assert.Equal("after", ok.Message);
    }

    [Fact]
    public async Task Oversized_send_is_refused_by_the_client()
    {
        using var channel = server.CreateChannel(new GrpcChannelOptions { MaxSendMessageSize = 100 });
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await channel.CreateCallInvoker().AsyncUnaryCall(EchoMethods.Unary, null, Timeout(),
                new EchoRequest { Payload = ByteString.CopyFrom(new byte[1000]) }));
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
    }

    [Fact]
    public async Task Unknown_method_is_unimplemented()
    {
        using var channel = server.CreateChannel();
        var missing = new Method<EchoRequest, EchoReply>(MethodType.Unary, EchoMethods.ServiceName, "Missing",
            Marshallers.ForProtobuf(EchoRequest.Parser), Marshallers.ForProtobuf(EchoReply.Parser));
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await channel.CreateCallInvoker().AsyncUnaryCall(missing, null, Timeout(), new EchoRequest()));
        Assert.Equal(StatusCode.Unimplemented, e.StatusCode);
    }

    [Fact]
    public async Task Health_check_reports_serving_and_not_found()
    {
        using var channel = server.CreateChannel();
        var invoker = channel.CreateCallInvoker();
        var reply = await invoker.AsyncUnaryCall(HealthMethods.Check, null, Timeout(), new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await invoker.AsyncUnaryCall(HealthMethods.Check, null, Timeout(), new HealthCheckRequest { Service = "nope" }));
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
    }

    [Fact]
    public async Task Connection_refused_is_unavailable()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var channel = GrpcChannel.ForAddress(new Uri($"http://127.0.0.1:{port}"));
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await channel.CreateCallInvoker().AsyncUnaryCall(EchoMethods.Unary, null, Timeout(), new EchoRequest()));
        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
    }
}
