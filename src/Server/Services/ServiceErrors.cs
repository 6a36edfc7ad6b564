using Bunker.Protocol.Grpc;
using Bunker.Server.Tenancy;
using Bunker.Storage;
using Bunker.Storage.Packs;

namespace Bunker.Server.Services;

/// <summary>
/// Turns the library's exceptions into gRPC statuses with messages a client can act on (invariant 6).
/// Anything not listed stays an exception, which the runtime logs and answers with a generic UNKNOWN.
/// </summary>
public static class ServiceErrors
{
    public static async Task<T> Guard<T>(Func<Task<T>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (Exception e) when (Map(e) is { } mapped)
        {
            throw mapped;
        }
    }

    public static async Task Guard(Func<Task> action)
    {
        try
        {
            await action().ConfigureAwait(false);
        }
        catch (Exception e) when (Map(e) is { } mapped)
        {
            throw mapped;
        }
    }

    public static RpcException? Map(Exception e) => e switch
    {
        RpcException => null,
        ChunkDigestMismatchException m => Error(StatusCode.InvalidArgument, $"chunk {m.Claimed}: its data hashes to {m.Actual.ToShortString()}…, not to its digest; nothing was stored"),
        ChunkNotFoundException n => Error(StatusCode.NotFound, $"chunk {n.Digest} not found"),
        SnapshotNotFoundException => Error(StatusCode.NotFound, "snapshot not found"),
        SnapshotRefusedException r => Error(StatusCode.FailedPrecondition, r.Message),
        SnapshotConflictException c => Error(StatusCode.AlreadyExists, c.Message),
        RegistryNotFoundException n => Error(StatusCode.NotFound, n.Message),
        RegistryConflictException c => Error(StatusCode.AlreadyExists, c.Message),
        PackException p => Error(StatusCode.DataLoss, p.Message),
        Lifecycle.RetentionRefusedException r => Error(StatusCode.FailedPrecondition, r.Message),
        Lifecycle.SnapshotProtectedException p => Error(StatusCode.FailedPrecondition, p.Message),
        ArgumentException a => Error(StatusCode.InvalidArgument, a.Message),
        _ => null,
    };

    public static RpcException Error(StatusCode code, string message) => new(new Status(code, message));
}
