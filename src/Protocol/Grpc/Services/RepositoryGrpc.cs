using Bunker.Protocol.Grpc;
using static Bunker.Protocol.Grpc.ServiceDescriptors;

namespace Bunker.Protocol.V1;

/// <summary>
/// bunker.v1.Repository: method descriptors, the service base and the client, written the way
/// grpc-dotnet's generator would write them (Grpc.Tools runs with GrpcServices="None" here).
/// </summary>
public static partial class Repository
{
    public const string ServiceName = "bunker.v1.Repository";

    public static readonly Method<HelloRequest, HelloResponse> HelloMethod =
        ServiceDescriptors.Create(MethodType.Unary, ServiceName, "Hello", HelloRequest.Parser, HelloResponse.Parser);
    public static readonly Method<BackupRequest, BackupResponse> BackupMethod =
        ServiceDescriptors.Create(MethodType.DuplexStreaming, ServiceName, "Backup", BackupRequest.Parser, BackupResponse.Parser);
    public static readonly Method<ListSnapshotsRequest, SnapshotInfo> ListSnapshotsMethod =
        ServiceDescriptors.Create(MethodType.ServerStreaming, ServiceName, "ListSnapshots", ListSnapshotsRequest.Parser, SnapshotInfo.Parser);
    public static readonly Method<GetSnapshotRequest, SnapshotInfo> GetSnapshotMethod =
        ServiceDescriptors.Create(MethodType.Unary, ServiceName, "GetSnapshot", GetSnapshotRequest.Parser, SnapshotInfo.Parser);
    public static readonly Method<ReadArchiveIndexRequest, ArchiveIndexPage> ReadArchiveIndexMethod =
        ServiceDescriptors.Create(MethodType.ServerStreaming, ServiceName, "ReadArchiveIndex", ReadArchiveIndexRequest.Parser, ArchiveIndexPage.Parser);
    public static readonly Method<ReadChunksRequest, ChunkData> ReadChunksMethod =
        ServiceDescriptors.Create(MethodType.ServerStreaming, ServiceName, "ReadChunks", ReadChunksRequest.Parser, ChunkData.Parser);
    public static readonly Method<LocateChunksRequest, LocateChunksResponse> LocateChunksMethod =
        ServiceDescriptors.Create(MethodType.Unary, ServiceName, "LocateChunks", LocateChunksRequest.Parser, LocateChunksResponse.Parser);
    public static readonly Method<DeleteSnapshotRequest, DeleteSnapshotResponse> DeleteSnapshotMethod =
        ServiceDescriptors.Create(MethodType.Unary, ServiceName, "DeleteSnapshot", DeleteSnapshotRequest.Parser, DeleteSnapshotResponse.Parser);

    /// <summary>Server side: override the calls the server implements; the rest answer UNIMPLEMENTED.</summary>
    public abstract class RepositoryBase : IBindableService
    {
        public virtual Task<HelloResponse> Hello(HelloRequest request, ServerCallContext context) => throw Unimplemented();
        public virtual Task Backup(IAsyncStreamReader<BackupRequest> requestStream, IServerStreamWriter<BackupResponse> responseStream, ServerCallContext context) => throw Unimplemented();
        public virtual Task ListSnapshots(ListSnapshotsRequest request, IServerStreamWriter<SnapshotInfo> responseStream, ServerCallContext context) => throw Unimplemented();
        public virtual Task<SnapshotInfo> GetSnapshot(GetSnapshotRequest request, ServerCallContext context) => throw Unimplemented();
        public virtual Task ReadArchiveIndex(ReadArchiveIndexRequest request, IServerStreamWriter<ArchiveIndexPage> responseStream, ServerCallContext context) => throw Unimplemented();
        public virtual Task ReadChunks(ReadChunksRequest request, IServerStreamWriter<ChunkData> responseStream, ServerCallContext context) => throw Unimplemented();
        public virtual Task<LocateChunksResponse> LocateChunks(LocateChunksRequest request, ServerCallContext context) => throw Unimplemented();
        public virtual Task<DeleteSnapshotResponse> DeleteSnapshot(DeleteSnapshotRequest request, ServerCallContext context) => throw Unimplemented();

        public void BindService(ServiceBinder binder)
        {
            binder.AddMethod(HelloMethod, Hello);
            binder.AddMethod(BackupMethod, Backup);
            binder.AddMethod(ListSnapshotsMethod, ListSnapshots);
            binder.AddMethod(GetSnapshotMethod, GetSnapshot);
            binder.AddMethod(ReadArchiveIndexMethod, ReadArchiveIndex);
            binder.AddMethod(ReadChunksMethod, ReadChunks);
            binder.AddMethod(LocateChunksMethod, LocateChunks);
            binder.AddMethod(DeleteSnapshotMethod, DeleteSnapshot);
        }
    }

    /// <summary>Client side.</summary>
    public class RepositoryClient : ClientBase
    {
        public RepositoryClient(CallInvoker callInvoker) : base(callInvoker) { }
        public RepositoryClient(GrpcChannel channel) : base(channel) { }

        public virtual AsyncUnaryCall<HelloResponse> HelloAsync(HelloRequest request, Metadata? headers = null, DateTime? deadline = null, CancellationToken cancellationToken = default) =>
            HelloAsync(request, Options(headers, deadline, cancellationToken));
        public virtual AsyncUnaryCall<HelloResponse> HelloAsync(HelloRequest request, CallOptions options) =>
            CallInvoker.AsyncUnaryCall(HelloMethod, null, options, request);

        public virtual AsyncDuplexStreamingCall<BackupRequest, BackupResponse> Backup(Metadata? headers = null, DateTime? deadline = null, CancellationToken cancellationToken = default) =>
            Backup(Options(headers, deadline, cancellationToken));
        public virtual AsyncDuplexStreamingCall<BackupRequest, BackupResponse> Backup(CallOptions options) =>
            CallInvoker.AsyncDuplexStreamingCall(BackupMethod, null, options);

        public virtual AsyncServerStreamingCall<SnapshotInfo> ListSnapshots(ListSnapshotsRequest request, Metadata? headers = null, DateTime? deadline = null, CancellationToken cancellationToken = default) =>
            ListSnapshots(request, Options(headers, deadline, cancellationToken));
        public virtual AsyncServerStreamingCall<SnapshotInfo> ListSnapshots(ListSnapshotsRequest request, CallOptions options) =>
            CallInvoker.AsyncServerStreamingCall(ListSnapshotsMethod, null, options, request);

        public virtual AsyncUnaryCall<SnapshotInfo> GetSnapshotAsync(GetSnapshotRequest request, Metadata? headers = null, DateTime? deadline = null, CancellationToken cancellationToken = default) =>
            GetSnapshotAsync(request, Options(headers, deadline, cancellationToken));
        public virtual AsyncUnaryCall<SnapshotInfo> GetSnapshotAsync(GetSnapshotRequest request, CallOptions options) =>
            CallInvoker.AsyncUnaryCall(GetSnapshotMethod, null, options, request);

        public virtual AsyncServerStreamingCall<ArchiveIndexPage> ReadArchiveIndex(ReadArchiveIndexRequest request, Metadata? headers = null, DateTime? deadline = null, CancellationToken cancellationToken = default) =>
            ReadArchiveIndex(request, Options(headers, deadline, cancellationToken));
        public virtual AsyncServerStreamingCall<ArchiveIndexPage> ReadArchiveIndex(ReadArchiveIndexRequest request, CallOptions options) =>
            CallInvoker.AsyncServerStreamingCall(ReadArchiveIndexMethod, null, options, request);

        public virtual AsyncServerStreamingCall<ChunkData> ReadChunks(ReadChunksRequest request, Metadata? headers = null, DateTime? deadline = null, CancellationToken cancellationToken = default) =>
            ReadChunks(request, Options(headers, deadline, cancellationToken));
        public virtual AsyncServerStreamingCall<ChunkData> ReadChunks(ReadChunksRequest request, CallOptions options) =>
            CallInvoker.AsyncServerStreamingCall(ReadChunksMethod, null, options, request);

        public virtual AsyncUnaryCall<LocateChunksResponse> LocateChunksAsync(LocateChunksRequest request, Metadata? headers = null, DateTime? deadline = null, CancellationToken cancellationToken = default) =>
            LocateChunksAsync(request, Options(headers, deadline, cancellationToken));
        public virtual AsyncUnaryCall<LocateChunksResponse> LocateChunksAsync(LocateChunksRequest request, CallOptions options) =>
            CallInvoker.AsyncUnaryCall(LocateChunksMethod, null, options, request);

        public virtual AsyncUnaryCall<DeleteSnapshotResponse> DeleteSnapshotAsync(DeleteSnapshotRequest request, Metadata? headers = null, DateTime? deadline = null, CancellationToken cancellationToken = default) =>
            DeleteSnapshotAsync(request, Options(headers, deadline, cancellationToken));
        public virtual AsyncUnaryCall<DeleteSnapshotResponse> DeleteSnapshotAsync(DeleteSnapshotRequest request, CallOptions options) =>
            CallInvoker.AsyncUnaryCall(DeleteSnapshotMethod, null, options, request);
    }
}
