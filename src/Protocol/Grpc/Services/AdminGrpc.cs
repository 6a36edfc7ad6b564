using Bunker.Protocol.Grpc;
using static Bunker.Protocol.Grpc.ServiceDescriptors;

namespace Bunker.Protocol.V1;

/// <summary>bunker.v1.Admin: method descriptors, the service base and the client, shaped like grpc-dotnet's generated code.</summary>
public static partial class Admin
{
    public const string ServiceName = "bunker.v1.Admin";

    public static readonly Method<CreateTenantRequest, TenantInfo> CreateTenantMethod =
        ServiceDescriptors.Create(MethodType.Unary, ServiceName, "CreateTenant", CreateTenantRequest.Parser, TenantInfo.Parser);
    public static readonly Method<ListTenantsRequest, ListTenantsResponse> ListTenantsMethod =
        ServiceDescriptors.Create(MethodType.Unary, ServiceName, "ListTenants", ListTenantsRequest.Parser, ListTenantsResponse.Parser);
    public static readonly Method<CreateRepositoryRequest, RepositoryInfo> CreateRepositoryMethod =
        ServiceDescriptors.Create(MethodType.Unary, ServiceName, "CreateRepository", CreateRepositoryRequest.Parser, RepositoryInfo.Parser);
    public static readonly Method<ListRepositoriesRequest, ListRepositoriesResponse> ListRepositoriesMethod =
        ServiceDescriptors.Create(MethodType.Unary, ServiceName, "ListRepositories", ListRepositoriesRequest.Parser, ListRepositoriesResponse.Parser);
    public static readonly Method<CreateTokenRequest, CreateTokenResponse> CreateTokenMethod =
        ServiceDescriptors.Create(MethodType.Unary, ServiceName, "CreateToken", CreateTokenRequest.Parser, CreateTokenResponse.Parser);
    public static readonly Method<ListTokensRequest, ListTokensResponse> ListTokensMethod =
        ServiceDescriptors.Create(MethodType.Unary, ServiceName, "ListTokens", ListTokensRequest.Parser, ListTokensResponse.Parser);
    public static readonly Method<RevokeTokenRequest, TokenInfo> RevokeTokenMethod =
        ServiceDescriptors.Create(MethodType.Unary, ServiceName, "RevokeToken", RevokeTokenRequest.Parser, TokenInfo.Parser);
    public static readonly Method<StatusRequest, StatusResponse> StatusMethod =
        ServiceDescriptors.Create(MethodType.Unary, ServiceName, "Status", StatusRequest.Parser, StatusResponse.Parser);

    /// <summary>Server side: override the calls the server implements; the rest answer UNIMPLEMENTED.</summary>
    public abstract class AdminBase : IBindableService
    {
        public virtual Task<TenantInfo> CreateTenant(CreateTenantRequest request, ServerCallContext context) => throw Unimplemented();
        public virtual Task<ListTenantsResponse> ListTenants(ListTenantsRequest request, ServerCallContext context) => throw Unimplemented();
        public virtual Task<RepositoryInfo> CreateRepository(CreateRepositoryRequest request, ServerCallContext context) => throw Unimplemented();
        public virtual Task<ListRepositoriesResponse> ListRepositories(ListRepositoriesRequest request, ServerCallContext context) => throw Unimplemented();
        public virtual Task<CreateTokenResponse> CreateToken(CreateTokenRequest request, ServerCallContext context) => throw Unimplemented();
        public virtual Task<ListTokensResponse> ListTokens(ListTokensRequest request, ServerCallContext context) => throw Unimplemented();
        public virtual Task<TokenInfo> RevokeToken(RevokeTokenRequest request, ServerCallContext context) => throw Unimplemented();
        public virtual Task<StatusResponse> Status(StatusRequest request, ServerCallContext context) => throw Unimplemented();

        public void BindService(ServiceBinder binder)
        {
            binder.AddMethod(CreateTenantMethod, CreateTenant);
            binder.AddMethod(ListTenantsMethod, ListTenants);
            binder.AddMethod(CreateRepositoryMethod, CreateRepository);
            binder.AddMethod(ListRepositoriesMethod, ListRepositories);
            binder.AddMethod(CreateTokenMethod, CreateToken);
            binder.AddMethod(ListTokensMethod, ListTokens);
            binder.AddMethod(RevokeTokenMethod, RevokeToken);
            binder.AddMethod(StatusMethod, Status);
        }
    }

    /// <summary>Client side.</summary>
    public class AdminClient : ClientBase
    {
        public AdminClient(CallInvoker callInvoker) : base(callInvoker) { }
        public AdminClient(GrpcChannel channel) : base(channel) { }

        public virtual AsyncUnaryCall<TenantInfo> CreateTenantAsync(CreateTenantRequest request, CallOptions options = default) =>
            CallInvoker.AsyncUnaryCall(CreateTenantMethod, null, options, request);
        public virtual AsyncUnaryCall<ListTenantsResponse> ListTenantsAsync(ListTenantsRequest request, CallOptions options = default) =>
            CallInvoker.AsyncUnaryCall(ListTenantsMethod, null, options, request);
        public virtual AsyncUnaryCall<RepositoryInfo> CreateRepositoryAsync(CreateRepositoryRequest request, CallOptions options = default) =>
            CallInvoker.AsyncUnaryCall(CreateRepositoryMethod, null, options, request);
        public virtual AsyncUnaryCall<ListRepositoriesResponse> ListRepositoriesAsync(ListRepositoriesRequest request, CallOptions options = default) =>
            CallInvoker.AsyncUnaryCall(ListRepositoriesMethod, null, options, request);
        public virtual AsyncUnaryCall<CreateTokenResponse> CreateTokenAsync(CreateTokenRequest request, CallOptions options = default) =>
            CallInvoker.AsyncUnaryCall(CreateTokenMethod, null, options, request);
        public virtual AsyncUnaryCall<ListTokensResponse> ListTokensAsync(ListTokensRequest request, CallOptions options = default) =>
            CallInvoker.AsyncUnaryCall(ListTokensMethod, null, options, request);
        public virtual AsyncUnaryCall<TokenInfo> RevokeTokenAsync(RevokeTokenRequest request, CallOptions options = default) =>
            CallInvoker.AsyncUnaryCall(RevokeTokenMethod, null, options, request);
        public virtual AsyncUnaryCall<StatusResponse> StatusAsync(StatusRequest request, CallOptions options = default) =>
            CallInvoker.AsyncUnaryCall(StatusMethod, null, options, request);
    }
}
