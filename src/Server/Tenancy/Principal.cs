using Bunker.Protocol.V1;

namespace Bunker.Server.Tenancy;

/// <summary>Who is calling: the token's tenant, roles and optional repository scope.</summary>
public sealed record Principal(string TokenId, string Tenant, IReadOnlyList<Role> Roles, string? RepositoryScope, DateTimeOffset? Expires)
{
    public bool Has(Role role)
    {
        foreach (var held in Roles)
            if (held == role) return true;
        return false;
    }

    /// <summary>An admin of the system tenant: manages every tenant.</summary>
    public bool IsServerAdmin => Tenant == Names.SystemTenant && Has(Role.Admin);

    /// <summary>Whether the token may touch the named repository of its own tenant at all.</summary>
    public bool MayUse(string repository) => RepositoryScope is null || RepositoryScope == repository;
}
