using Bunker.Protocol.Grpc;

namespace Bunker.Protocol.V1;

/// <summary>
/// bunker.v1.Repository: method descriptors, the service base and the client, written the way
/// grpc-dotnet's generator would write them (Grpc.Tools runs with GrpcServices="None" here).
/// </summary>
public static partial class Repository
{
    public const string ServiceName = "bunker.v1.Repository";

    private static readonly Marshaller<HelloRequest> HelloRequestMarshaller = Marshallers.ForProtobuf(HelloRequest.Parser);
    private static readonly Marshaller<HelloResponse> HelloResponseMarshaller = Marshallers.ForProtobuf(HelloResponse.Parser);
    private static readonly Marshaller<BackupRequest> BackupRequestMarshaller = Marshallers.ForProtobuf(BackupRequest.Parser);
    private static readonly Marshaller<BackupResponse> BackupResponseMarshaller = Marshallers.ForProtobuf(BackupResponse.Parser);
    private static readonly Marshaller<ListSnapshotsRequest> ListSnapshotsRequestMarshaller = Marshallers.ForProtobuf(ListSnapshotsRequest.Parser);
    private static readonly Marshaller<GetSnapshotRequest> GetSnapshotRequestMarshaller = Marshallers.ForProtobuf(GetSnapshotRequest.Parser);
    private static readonly Marshaller<SnapshotInfo> SnapshotInfoMarshaller = Marshallers.ForProtobuf(SnapshotInfo.Parser);
    private static readonly Marshaller<ReadArchiveIndexRequest> ReadArchiveIndexRequestMarshaller = Marshallers.ForProtobuf(ReadArchiveIndexRequest.Parser);
    private static readonly Marshaller<ArchiveIndexPage> ArchiveIndexPageMarshaller = Marshallers.ForProtobuf(ArchiveIndexPage.Parser);
    private static readonly Marshaller<ReadChunksRequest> ReadChunksRequestMarshaller = Marshallers.ForProtobuf(ReadChunksRequest.Parser);
    private static readonly Marshaller<ChunkData> ChunkDataMarshaller = Marshallers.ForProtobuf(ChunkData.Parser);
    private static readonly Marshaller<LocateChunksRequest> LocateChunksRequestMarshaller = Marshallers.ForProtobuf(LocateChunksRequest.Parser);
    private static readonly Marshaller<LocateChunksResponse> LocateChunksResponseMarshaller = Marshallers.ForProtobuf(LocateChunksResponse.Parser);
    private static readonly Marshaller<DeleteSnapshotRequest> DeleteSnapshotRequestMarshaller = Marshallers.ForProtobuf(DeleteSnapshotRequest.Parser);
    private static readonly Marshaller<DeleteSnapshotResponse> DeleteSnapshotResponseMarshaller = Marshallers.ForProtobuf(DeleteSnapshotResponse.Parser);

    public static readonly Method<HelloRequest, HelloResponse> HelloMethod =
        new(MethodType.Unary, ServiceName, "Hello", HelloRequestMarshaller, HelloResponseMarshaller);
    public static readonly Method<BackupRequest, BackupResponse> BackupMethod =
        new(MethodType.DuplexStreaming, ServiceName, "Backup", BackupRequestMarshaller, BackupResponseMarshaller);
    public static readonly Method<ListSnapshotsRequest, SnapshotInfo> ListSnapshotsMethod =
        new(MethodType.ServerStreaming, ServiceName, "ListSnapshots", ListSnapshotsRequestMarshaller, SnapshotInfoMarshaller);
    public static readonly Method<GetSnapshotRequest, SnapshotInfo> GetSnapshotMethod =
        new(MethodType.Unary, ServiceName, "GetSnapshot", GetSnapshotRequestMarshaller, SnapshotInfoMarshaller);
    public static readonly Method<ReadArchiveIndexRequest, ArchiveIndexPage> ReadArchiveIndexMethod =
        new(MethodType.ServerStreaming, ServiceName, "ReadArchiveIndex", ReadArchiveIndexRequestMarshaller, ArchiveIndexPageMarshaller);
    public static readonly Method<ReadChunksRequest, ChunkData> ReadChunksMethod =
        new(MethodType.ServerStreaming, ServiceName, "ReadChunks", ReadChunksRequestMarshaller, ChunkDataMarshaller);
    public static readonly Method<LocateChunksRequest, LocateChunksResponse> LocateChunksMethod =
        new(MethodType.Unary, ServiceName, "LocateChunks", LocateChunksRequestMarshaller, LocateChunksResponseMarshaller);
    public static readonly Method<DeleteSnapshotRequest, DeleteSnapshotResponse> DeleteSnapshotMethod =
        new(MethodType.Unary, ServiceName, "DeleteSnapshot", DeleteSnapshotRequestMarshaller, DeleteSnapshotResponseMarshaller);

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

        private static RpcException Unimplemented() => new(new Status(StatusCode.Unimplemented, "not implemented by this server"));
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
