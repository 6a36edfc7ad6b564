using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;
using Bunker.Server.Tenancy;

namespace Bunker.Server.Services;

/// <summary>
/// Authentication (a pre-call hook: every call but health needs a valid bearer token) and the
/// authorisation checks the services make. A repository the caller may not see is NOT_FOUND with
/// the same words as one that does not exist, so nothing tells tenants apart (invariant 4).
/// </summary>
public static class CallAuth
{
    private const string PrincipalKey = "bunker.principal";

    public static Func<ServerCallContext, Task> Hook(Registry registry) => context =>
    {
        if (context.Method.StartsWith("/grpc.health.v1.Health/", StringComparison.Ordinal))
            return Task.CompletedTask;
        string? header = context.RequestHeaders.GetValue("authorization");
        if (header is null)
            throw Unauthenticated("missing 'authorization: Bearer <token>' metadata");
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            throw Unauthenticated("the authorization metadata must be 'Bearer <token>'");
        var refusal = registry.Authenticate(header[7..].Trim(), out var principal);
        if (refusal != TokenRefusal.None)
        {
            throw Unauthenticated(refusal switch
            {
                TokenRefusal.Expired => "the token has expired",
                TokenRefusal.Revoked => "the token has been revoked",
                _ => "the token is not valid",
            });
        }
        context.UserState[PrincipalKey] = principal!;
        return Task.CompletedTask;
    };

    public static Principal Caller(ServerCallContext context) =>
        context.UserState.TryGetValue(PrincipalKey, out var value) && value is Principal principal
            ? principal
            : throw Unauthenticated("the call is not authenticated");

    /// <summary>The caller, if it holds any of <paramref name="roles"/>; PERMISSION_DENIED otherwise.</summary>
    public static Principal Require(ServerCallContext context, string action, params Role[] roles)
    {
        var principal = Caller(context);
        foreach (var role in roles)
            if (principal.Has(role)) return principal;
        throw new RpcException(new Status(StatusCode.PermissionDenied,
            $"{action} needs the {string.Join(" or ", Array.ConvertAll(roles, RoleName))} role; this token has {string.Join(", ", principal.Roles.Select(RoleName))}"));
    }

    /// <summary>The caller's repository by name, or NOT_FOUND (absent, another tenant's, or outside the token's scope).</summary>
    public static RepositoryRecord Repository(Registry registry, Principal principal, string name)
    {
        if (string.IsNullOrEmpty(name))
            throw new RpcException(new Status(StatusCode.InvalidArgument, "a repository name is required"));
        if (!principal.MayUse(name) || !registry.TryGetRepository(principal.Tenant, name, out var record))
            throw RepositoryNotFound(name);
        return record;
    }

    public static RpcException RepositoryNotFound(string name) =>
        new(new Status(StatusCode.NotFound, $"repository '{(name.Length > 64 ? name[..64] + "…" : name)}' not found"));

    public static string RoleName(Role role) => role switch
    {
        Role.Admin => "admin",
        Role.Backup => "backup",
        Role.Restore => "restore",
        Role.Operator => "operator",
        _ => "unknown",
    };

    private static RpcException Unauthenticated(string message) => new(new Status(StatusCode.Unauthenticated, message));
}
