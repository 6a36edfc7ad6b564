using Bunker.Protocol.Grpc;
using static Bunker.Protocol.Grpc.ServiceDescriptors;

namespace Bunker.Protocol.V1;

/// <summary>bunker.v1.Maintenance: method descriptors, the service base and the client, shaped like grpc-dotnet's generated code.</summary>
public static partial class Maintenance
{
    public const string ServiceName = "bunker.v1.Maintenance";

    public static readonly Method<ForgetRequest, ForgetResponse> ForgetMethod =
        ServiceDescriptors.Create(MethodType.Unary, ServiceName, "Forget", ForgetRequest.Parser, ForgetResponse.Parser);
    public static readonly Method<ProtectRequest, ProtectResponse> ProtectMethod =
        ServiceDescriptors.Create(MethodType.Unary, ServiceName, "Protect", ProtectRequest.Parser, ProtectResponse.Parser);
    public static readonly Method<CollectGarbageRequest, GarbageReport> CollectGarbageMethod =
        ServiceDescriptors.Create(MethodType.Unary, ServiceName, "CollectGarbage", CollectGarbageRequest.Parser, GarbageReport.Parser);
    public static readonly Method<CheckRequest, CheckReport> CheckMethod =
        ServiceDescriptors.Create(MethodType.Unary, ServiceName, "Check", CheckRequest.Parser, CheckReport.Parser);
    public static readonly Method<GetPolicyRequest, PolicyView> GetPolicyMethod =
        ServiceDescriptors.Create(MethodType.Unary, ServiceName, "GetPolicy", GetPolicyRequest.Parser, PolicyView.Parser);
    public static readonly Method<SetPolicyRequest, RepositoryPolicy> SetPolicyMethod =
        ServiceDescriptors.Create(MethodType.Unary, ServiceName, "SetPolicy", SetPolicyRequest.Parser, RepositoryPolicy.Parser);

    /// <summary>Server side: override the calls the server implements; the rest answer UNIMPLEMENTED.</summary>
    public abstract class MaintenanceBase : IBindableService
    {
        public virtual Task<ForgetResponse> Forget(ForgetRequest request, ServerCallContext context) => throw Unimplemented();
        public virtual Task<ProtectResponse> Protect(ProtectRequest request, ServerCallContext context) => throw Unimplemented();
        public virtual Task<GarbageReport> CollectGarbage(CollectGarbageRequest request, ServerCallContext context) => throw Unimplemented();
        public virtual Task<CheckReport> Check(CheckRequest request, ServerCallContext context) => throw Unimplemented();
        public virtual Task<PolicyView> GetPolicy(GetPolicyRequest request, ServerCallContext context) => throw Unimplemented();
        public virtual Task<RepositoryPolicy> SetPolicy(SetPolicyRequest request, ServerCallContext context) => throw Unimplemented();

        public void BindService(ServiceBinder binder)
        {
            binder.AddMethod(ForgetMethod, Forget);
            binder.AddMethod(ProtectMethod, Protect);
            binder.AddMethod(CollectGarbageMethod, CollectGarbage);
            binder.AddMethod(CheckMethod, Check);
            binder.AddMethod(GetPolicyMethod, GetPolicy);
            binder.AddMethod(SetPolicyMethod, SetPolicy);
        }
    }

    /// <summary>Client side.</summary>
    public class MaintenanceClient : ClientBase
    {
        public MaintenanceClient(CallInvoker callInvoker) : base(callInvoker) { }
        public MaintenanceClient(GrpcChannel channel) : base(channel) { }

        public virtual AsyncUnaryCall<ForgetResponse> ForgetAsync(ForgetRequest request, CallOptions options = default) =>
            CallInvoker.AsyncUnaryCall(ForgetMethod, null, options, request);
        public virtual AsyncUnaryCall<ProtectResponse> ProtectAsync(ProtectRequest request, CallOptions options = default) =>
            CallInvoker.AsyncUnaryCall(ProtectMethod, null, options, request);
        public virtual AsyncUnaryCall<GarbageReport> CollectGarbageAsync(CollectGarbageRequest request, CallOptions options = default) =>
            CallInvoker.AsyncUnaryCall(CollectGarbageMethod, null, options, request);
        public virtual AsyncUnaryCall<CheckReport> CheckAsync(CheckRequest request, CallOptions options = default) =>
            CallInvoker.AsyncUnaryCall(CheckMethod, null, options, request);
        public virtual AsyncUnaryCall<PolicyView> GetPolicyAsync(GetPolicyRequest request, CallOptions options = default) =>
            CallInvoker.AsyncUnaryCall(GetPolicyMethod, null, options, request);
        public virtual AsyncUnaryCall<RepositoryPolicy> SetPolicyAsync(SetPolicyRequest request, CallOptions options = default) =>
            CallInvoker.AsyncUnaryCall(SetPolicyMethod, null, options, request);
    }
}
