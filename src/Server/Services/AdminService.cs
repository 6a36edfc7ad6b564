using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;
using Bunker.Server.Hosting;
using Bunker.Server.Tenancy;
using Microsoft.Extensions.Logging;

namespace Bunker.Server.Services;

/// <summary>
/// bunker.v1.Admin. A server admin (admin role in the system tenant) manages every tenant; a
/// tenant admin manages its own tenant only and sees others as NOT_FOUND. An admin token scoped
/// to a repository may only make tokens for that repository.
/// </summary>
public sealed class AdminService : Admin.AdminBase
{
    private static readonly long StartedUnix = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    private readonly RepositoryHost _host;
    private readonly Stores.StoreJobs _jobs;
    private readonly ILogger _logger;

    public AdminService(RepositoryHost host, Stores.StoreJobs jobs, ILogger<AdminService> logger)
    {
        _host = host;
        _jobs = jobs;
        _logger = logger;
    }

    private Registry Registry => _host.Registry;

    public override Task<TenantInfo> CreateTenant(CreateTenantRequest request, ServerCallContext context) => ServiceErrors.Guard(() =>
    {
        var principal = RequireServerAdmin(context, "creating a tenant");
        var record = Registry.CreateTenant(request.Name);
        _logger.LogInformation("Tenant {Tenant} created by token {Token}", record.Name, principal.TokenId);
        return Task.FromResult(new TenantInfo { Name = record.Name, CreatedUnix = record.CreatedUnix });
    });

    public override Task<ListTenantsResponse> ListTenants(ListTenantsRequest request, ServerCallContext context) => ServiceErrors.Guard(() =>
    {
        var principal = CallAuth.Require(context, "listing tenants", Role.Admin);
        var response = new ListTenantsResponse();
        foreach (var tenant in Registry.ListTenants())
        {
            if (principal.IsServerAdmin || tenant.Name == principal.Tenant)
                response.Tenants.Add(new TenantInfo { Name = tenant.Name, CreatedUnix = tenant.CreatedUnix });
        }
        return Task.FromResult(response);
    });

    public override Task<RepositoryInfo> CreateRepository(CreateRepositoryRequest request, ServerCallContext context) => ServiceErrors.Guard(async () =>
    {
        var principal = CallAuth.Require(context, "creating a repository", Role.Admin);
        if (principal.RepositoryScope is not null)
            throw ServiceErrors.Error(StatusCode.PermissionDenied, "creating a repository needs an admin token that is not limited to one repository");
        string tenant = TenantFor(principal, request.Tenant);
        var record = await _host.CreateAsync(tenant, request.Name, context.CancellationToken).ConfigureAwait(false);
        _logger.LogInformation("Repository {Tenant}/{Repository} created by token {Token}", tenant, record.Name, principal.TokenId);
        return ToInfo(record);
    });

    public override Task<ListRepositoriesResponse> ListRepositories(ListRepositoriesRequest request, ServerCallContext context) => ServiceErrors.Guard(() =>
    {
        var principal = CallAuth.Require(context, "listing repositories", Role.Admin);
        string tenant = TenantFor(principal, request.Tenant);
        var response = new ListRepositoriesResponse();
        foreach (var record in Registry.ListRepositories(tenant))
        {
            if (principal.MayUse(record.Name)) response.Repositories.Add(ToInfo(record));
        }
        return Task.FromResult(response);
    });

    public override Task<CreateTokenResponse> CreateToken(CreateTokenRequest request, ServerCallContext context) => ServiceErrors.Guard(() =>
    {
        var principal = CallAuth.Require(context, "creating a token", Role.Admin);
        string tenant = TenantFor(principal, request.Tenant);
        string? repository = request.Repository.Length > 0 ? request.Repository : null;
        if (principal.RepositoryScope is { } scope && repository != scope)
            throw ServiceErrors.Error(StatusCode.PermissionDenied, $"this admin token is limited to repository '{scope}' and can only make tokens for it");
        if (repository is not null && !principal.MayUse(repository))
            throw CallAuth.RepositoryNotFound(repository);
        if (request.TtlSeconds < 0)
            throw ServiceErrors.Error(StatusCode.InvalidArgument, "ttl_seconds must not be negative");
        var roles = new HashSet<Role>(request.Roles);
        var (token, record) = Registry.CreateToken(tenant, roles, repository,
            request.TtlSeconds > 0 ? TimeSpan.FromSeconds(request.TtlSeconds) : null, request.Description);
        _logger.LogInformation("Token {Id} for tenant {Tenant} ({Roles}) created by token {Token}",
            TokenCodec.IdToString(record.Id.Span), tenant, string.Join(",", roles), principal.TokenId);
        return Task.FromResult(new CreateTokenResponse { Token = token, Info = ToInfo(record) });
    });

    public override Task<ListTokensResponse> ListTokens(ListTokensRequest request, ServerCallContext context) => ServiceErrors.Guard(() =>
    {
        var principal = CallAuth.Require(context, "listing tokens", Role.Admin);
        string tenant = TenantFor(principal, request.Tenant);
        var response = new ListTokensResponse();
        foreach (var record in Registry.ListTokens(tenant))
        {
            if (principal.RepositoryScope is null || record.Repository == principal.RepositoryScope)
                response.Tokens.Add(ToInfo(record));
        }
        return Task.FromResult(response);
    });

    public override Task<TokenInfo> RevokeToken(RevokeTokenRequest request, ServerCallContext context) => ServiceErrors.Guard(() =>
    {
        var principal = CallAuth.Require(context, "revoking a token", Role.Admin);
        if (!Registry.TryGetToken(request.Id, out var record)
            || (!principal.IsServerAdmin && record.Tenant != principal.Tenant)
            || (principal.RepositoryScope is { } scope && record.Repository != scope))
            throw ServiceErrors.Error(StatusCode.NotFound, "token not found");
        var revoked = Registry.RevokeToken(record);
        _logger.LogInformation("Token {Id} revoked by token {Token}", request.Id, principal.TokenId);
        return Task.FromResult(ToInfo(revoked));
    });

    private static Principal RequireServerAdmin(ServerCallContext context, string action)
    {
        var principal = CallAuth.Require(context, action, Role.Admin);
        if (!principal.IsServerAdmin)
            throw ServiceErrors.Error(StatusCode.PermissionDenied, $"{action} needs an admin token of the '{Names.SystemTenant}' tenant");
        return principal;
    }

    /// <summary>The tenant a request names (empty: the caller's own); another tenant is NOT_FOUND unless the caller is a server admin.</summary>
    private string TenantFor(Principal principal, string requested)
    {
        string tenant = requested.Length == 0 ? principal.Tenant : requested;
        if ((tenant != principal.Tenant && !principal.IsServerAdmin) || !Registry.TryGetTenant(tenant, out _))
            throw ServiceErrors.Error(StatusCode.NotFound, $"tenant '{(tenant.Length > 64 ? tenant[..64] + "…" : tenant)}' not found");
        return tenant;
    }

    private static RepositoryInfo ToInfo(RepositoryRecord record) =>
        new() { Tenant = record.Tenant, Name = record.Name, Id = record.Id, CreatedUnix = record.CreatedUnix, Store = RepositoryHost.StoreOf(record) };

    public override Task<StatusResponse> Status(StatusRequest request, ServerCallContext context) => ServiceErrors.Guard(async () =>
    {
        var principal = CallAuth.Require(context, "reading the status", Role.Admin);
        var stores = _host.Stores;
        var response = new StatusResponse
        {
            ServerVersion = typeof(AdminService).Assembly.GetName().Version?.ToString() ?? "",
            StartedUnix = StartedUnix,
        };
        foreach (var (name, settings) in stores.Settings.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            var status = new StoreStatus { Name = name, Type = settings.Type, Healthy = true };
            if (stores.Health.TryGetValue(name, out var health))
            {
                status.Healthy = health.IsHealthy;
                status.SinceUnix = health.Since.ToUnixTimeSeconds();
                status.LastError = health.LastError ?? "";
                status.Failures = health.Failures;
            }
            if (settings.Type == "fallback")
            {
                status.Members.AddRange(settings.Members);
                status.Degraded = stores.Health.TryGetValue(settings.Members[0], out var primary) && !primary.IsHealthy;
                response.Degraded |= status.Degraded;
            }
            if (settings.Type == "tiered") status.Members.AddRange([settings.Hot!, settings.Cold!]);
            if (stores.Buckets.TryGetValue(name, out var bucket))
            {
                var c = bucket.Counts;
                status.S3 = new S3RequestCounts
                {
                    Puts = c.Puts, MultipartRequests = c.MultipartRequests, Gets = c.Gets, Heads = c.Heads, Lists = c.Lists, Deletes = c.Deletes,
                    Retries = c.Retries, BytesUploaded = c.BytesUploaded, BytesDownloaded = c.BytesDownloaded,
                };
            }
            response.Stores.Add(status);
        }
        var states = _jobs.States.ToDictionary(s => s.Repository, StringComparer.Ordinal);
        foreach (var tenant in Registry.ListTenants())
        {
            if (!principal.IsServerAdmin && tenant.Name != principal.Tenant) continue;
            foreach (var record in Registry.ListRepositories(tenant.Name))
            {
                if (!principal.MayUse(record.Name)) continue;
                var entry = new RepositoryStoreStatus { Repository = record.Tenant + "/" + record.Name, Store = RepositoryHost.StoreOf(record) };
                var id = new Bunker.Index.RepositoryId(record.Id.Span);
                foreach (var pack in _host.Index.Packs.Scan(id))
                {
                    entry.PacksByLocation[pack.Location] = entry.PacksByLocation.GetValueOrDefault(pack.Location) + 1;
                    entry.BytesByLocation[pack.Location] = entry.BytesByLocation.GetValueOrDefault(pack.Location) + pack.Size;
                }
                if (states.TryGetValue(entry.Repository, out var state))
                {
                    entry.CheckedUnix = state.At.ToUnixTimeSeconds();
                    entry.LastError = state.Error ?? "";
                }
                response.Repositories.Add(entry);
            }
        }
        await Task.CompletedTask.ConfigureAwait(false);
        return response;
    });

    private static TokenInfo ToInfo(TokenRecord record)
    {
        var info = new TokenInfo
        {
            Id = TokenCodec.IdToString(record.Id.Span),
            Tenant = record.Tenant,
            Repository = record.Repository,
            CreatedUnix = record.CreatedUnix,
            ExpiresUnix = record.ExpiresUnix,
            RevokedUnix = record.RevokedUnix,
            Description = record.Description,
        };
        info.Roles.AddRange(record.Roles);
        return info;
    }
}
