using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Bunker.Protocol.Grpc;

/// <summary>Runs one bound method for one HTTP request and turns its outcome into a gRPC status.</summary>
internal abstract class ServerMethodHandler
{
    public abstract string FullName { get; }

    public abstract Task HandleAsync(HttpContext httpContext, GrpcServerOptions options, ILogger logger);

    /// <summary>Refuses what is not a gRPC request: a non-gRPC content type (415) or HTTP/1.x (426). True when refused.</summary>
    public static bool RefuseNonGrpc(HttpContext httpContext)
    {
        var response = httpContext.Response;
        if (!GrpcWire.IsGrpcContentType(httpContext.Request.ContentType))
        {
            response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            ServerCall.WriteStatus(response.Headers, new Status(StatusCode.Internal, $"Content-Type '{httpContext.Request.ContentType}' is not supported."), Metadata.Empty);
            return true;
        }
        if (!HttpProtocol.IsHttp2(httpContext.Request.Protocol) && !HttpProtocol.IsHttp3(httpContext.Request.Protocol))
        {
            response.StatusCode = StatusCodes.Status426UpgradeRequired;
            ServerCall.WriteStatus(response.Headers, new Status(StatusCode.Internal, "gRPC requires HTTP/2."), Metadata.Empty);
            return true;
        }
        return false;
    }
}

internal sealed class ServerMethodHandler<TRequest, TResponse>(Method<TRequest, TResponse> method, Func<ServerCall, Task> invoke)
    : ServerMethodHandler
{
    public override string FullName => method.FullName;

    public override async Task HandleAsync(HttpContext httpContext, GrpcServerOptions options, ILogger logger)
    {
        if (RefuseNonGrpc(httpContext)) return;
        using var call = new ServerCall(httpContext, options, method.FullName);
        Status status;
        try
        {
            foreach (var hook in options.PreCallHooks) await hook(call.Context).ConfigureAwait(false);
            await invoke(call).ConfigureAwait(false);
            status = call.DeadlineExceeded ? GrpcWire.DeadlineStatus : call.Context.Status;
        }
        catch (Exception) when (call.DeadlineExceeded)
        {
            status = GrpcWire.DeadlineStatus;
        }
        catch (RpcException e)
        {
            status = e.Status with { DebugException = null };
            foreach (var entry in e.Trailers) call.Context.ResponseTrailers.Add(entry);
        }
        catch (Exception) when (call.ClientGone)
        {
            // The client reset the stream or went away: nobody is left to read a status.
            logger.LogDebug("gRPC call {Method} from {Peer} was cancelled by the client.", method.FullName, call.Peer);
            return;
        }
        catch (Exception e)
        {
            // Log the details here; the client gets a generic message, never a stack trace.
            logger.LogError(e, "gRPC handler for {Method} threw.", method.FullName);
            status = new Status(StatusCode.Unknown, "Exception was thrown by handler.");
        }

        if (call.ClientGone) return;
        try
        {
            await call.FinishAsync(status).ConfigureAwait(false);
        }
        catch (Exception e) when (call.ClientGone || e is OperationCanceledException or IOException)
        {
            logger.LogDebug(e, "gRPC call {Method}: the client left before the status was sent.", method.FullName);
        }
    }
}
