using Grpc.Health.V1;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Bunker.Protocol.Grpc;

/// <summary>Method descriptors of <c>grpc.health.v1.Health</c>.</summary>
public static class HealthMethods
{
    public const string ServiceName = "grpc.health.v1.Health";

    public static readonly Method<HealthCheckRequest, HealthCheckResponse> Check =
        ServiceDescriptors.Create(MethodType.Unary, ServiceName, "Check", HealthCheckRequest.Parser, HealthCheckResponse.Parser);

    public static readonly Method<HealthCheckRequest, HealthCheckResponse> Watch =
        ServiceDescriptors.Create(MethodType.ServerStreaming, ServiceName, "Watch", HealthCheckRequest.Parser, HealthCheckResponse.Parser);
}

/// <summary>
/// The standard health service. The server as a whole ("") starts SERVING; other services are unknown until set.
/// Check on an unknown service is NOT_FOUND; Watch reports SERVICE_UNKNOWN and keeps watching.
/// </summary>
public sealed class HealthService : IBindableService
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ServingStatus> _statuses = new(StringComparer.Ordinal) { [""] = ServingStatus.Serving };
    private readonly Dictionary<string, List<Action<ServingStatus>>> _watchers = new(StringComparer.Ordinal);

    public void SetStatus(string service, ServingStatus status) => Update(service, status);

    public void ClearStatus(string service) => Update(service, null);

    /// <summary>Records a service's status (null: forget it) and tells its watchers, outside the lock.</summary>
    private void Update(string service, ServingStatus? status)
    {
        ArgumentNullException.ThrowIfNull(service);
        Action<ServingStatus>[] watchers;
        lock (_lock)
        {
            if (status is { } known) _statuses[service] = known;
            else _statuses.Remove(service);
            watchers = _watchers.TryGetValue(service, out var list) ? [.. list] : [];
        }
        foreach (var watcher in watchers) watcher(status ?? ServingStatus.ServiceUnknown);
    }

    public void BindService(ServiceBinder binder)
    {
        binder.AddMethod(HealthMethods.Check, Check);
        binder.AddMethod(HealthMethods.Watch, Watch);
    }

    public Task<HealthCheckResponse> Check(HealthCheckRequest request, ServerCallContext context)
    {
        lock (_lock)
        {
            if (_statuses.TryGetValue(request.Service, out var status)) return Task.FromResult(new HealthCheckResponse { Status = status });
        }
        throw new RpcException(new Status(StatusCode.NotFound, $"Unknown service '{request.Service}'."));
    }

    public async Task Watch(HealthCheckRequest request, IServerStreamWriter<HealthCheckResponse> responseStream, ServerCallContext context)
    {
        var updates = System.Threading.Channels.Channel.CreateUnbounded<ServingStatus>();
        Action<ServingStatus> watcher = s => updates.Writer.TryWrite(s);
        lock (_lock)
        {
            updates.Writer.TryWrite(_statuses.TryGetValue(request.Service, out var current) ? current : ServingStatus.ServiceUnknown);
            if (!_watchers.TryGetValue(request.Service, out var list)) _watchers[request.Service] = list = [];
            list.Add(watcher);
        }
        try
        {
            ServingStatus? last = null;
            await foreach (var status in updates.Reader.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
            {
                if (status == last) continue;
                last = status;
                await responseStream.WriteAsync(new HealthCheckResponse { Status = status }).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The watcher went away: the normal end of a Watch.
        }
        finally
        {
            lock (_lock)
            {
                // Drop emptied lists, or watching made-up service names would grow the map forever.
                var list = _watchers[request.Service];
                list.Remove(watcher);
                if (list.Count == 0) _watchers.Remove(request.Service);
            }
        }
    }
}
