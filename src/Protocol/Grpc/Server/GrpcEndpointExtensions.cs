using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bunker.Protocol.Grpc;

/// <summary>The method paths mapped onto the application's endpoints, so that none is mapped twice.</summary>
public sealed class GrpcServiceRegistry
{
    private readonly HashSet<string> _paths = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    internal void Add(string fullName)
    {
        lock (_lock)
        {
            if (!_paths.Add(fullName)) throw new InvalidOperationException($"{fullName} is already mapped.");
        }
    }
}

public static class GrpcServiceCollectionExtensions
{
    /// <summary>Registers the runtime's options, the method registry and the health service.</summary>
    public static IServiceCollection AddBunkerGrpc(this IServiceCollection services, Action<GrpcServerOptions>? configure = null)
    {
        services.AddRouting();
        var options = services.AddOptions<GrpcServerOptions>();
        if (configure is not null) options.Configure(configure);
        services.TryAddSingleton<GrpcServiceRegistry>();
        services.TryAddSingleton<HealthService>();
        return services;
    }
}

public static class GrpcEndpointRouteBuilderExtensions
{
    private static readonly ConditionalWeakTable<IEndpointRouteBuilder, object> FallbackMapped = new();

    /// <summary>
    /// Maps every method of <typeparamref name="TService"/> to <c>POST /package.Service/Method</c>. The service is
    /// taken from DI when registered (else created once with DI-resolved arguments) and serves every call.
    /// Any other two-segment POST path answers UNIMPLEMENTED.
    /// </summary>
    public static IEndpointConventionBuilder MapBunkerGrpcService<TService>(this IEndpointRouteBuilder endpoints)
        where TService : class, IBindableService
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var services = endpoints.ServiceProvider;
        var registry = services.GetService<GrpcServiceRegistry>()
            ?? throw new InvalidOperationException("Call services.AddBunkerGrpc() before mapping gRPC services.");
        var options = services.GetRequiredService<IOptions<GrpcServerOptions>>().Value;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Bunker.Protocol.Grpc.Server");
        var service = services.GetService<TService>() ?? ActivatorUtilities.CreateInstance<TService>(services);

        var binder = new ServiceBinder();
        service.BindService(binder);
        var builders = new List<IEndpointConventionBuilder>();
        foreach (var handler in binder.Handlers)
        {
            registry.Add(handler.FullName);
            builders.Add(endpoints.MapPost(handler.FullName, context => handler.HandleAsync(context, options, logger))
                .WithDisplayName("gRPC " + handler.FullName));
        }
        MapUnimplementedFallback(endpoints);
        return new CompositeConventionBuilder(builders);
    }

    private static void MapUnimplementedFallback(IEndpointRouteBuilder endpoints)
    {
        if (FallbackMapped.TryGetValue(endpoints, out _)) return;
        FallbackMapped.Add(endpoints, new object());
        // Literal routes outrank this parameter route, so it only catches paths no service mapped.
        endpoints.MapPost("/{service}/{method}", context =>
        {
            if (ServerMethodHandler.RefuseNonGrpc(context)) return Task.CompletedTask;
            ServerCall.WriteTrailersOnly(context.Response,
                new Status(StatusCode.Unimplemented, $"Method {context.Request.Path} is unimplemented."));
            return Task.CompletedTask;
        }).WithDisplayName("gRPC unimplemented");
    }

    private sealed class CompositeConventionBuilder(IReadOnlyList<IEndpointConventionBuilder> builders) : IEndpointConventionBuilder
    {
        public void Add(Action<EndpointBuilder> convention)
        {
            foreach (var builder in builders) builder.Add(convention);
        }

        public void Finally(Action<EndpointBuilder> finallyConvention)
        {
            foreach (var builder in builders) builder.Finally(finallyConvention);
        }
    }
}
