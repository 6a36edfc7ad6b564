using System.Collections.Concurrent;
using Bunker.Server.Hosting;
using Bunker.Storage.Stores;
using Bunker.Storage.Stores.Composite;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bunker.Server.Stores;

/// <summary>What the store jobs last found for one repository, for <c>bunker admin status</c>.</summary>
public sealed record RepositoryStoreState(string Repository, string Store, DateTimeOffset At, ReconcileReport? Reconcile, TierReport? Tiering, string? Error);

/// <summary>
/// The stores' background work: probing every fallback member (health with hysteresis), and, for each repository on a
/// fallback or tiered store, moving packs back to a recovered primary (reconciliation) and from the hot tier to the
/// cold one (tiering). Health changes are logged as they happen: a daemon running degraded says so. None of it
/// holds a lock that backups or restores wait on; a pack is moved by copy, check, repoint, delete.
/// </summary>
public sealed class StoreJobs : BackgroundService
{
    private readonly RepositoryHost _host;
    private readonly BunkerdOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, RepositoryStoreState> _states = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _passLock = new(1, 1);
    private volatile TaskCompletionSource _kick = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public StoreJobs(RepositoryHost host, BunkerdOptions options, ILogger<StoreJobs> logger)
    {
        _host = host;
        _options = options;
        _logger = logger;
        foreach (var health in host.Stores.Health.Values) health.Changed += OnHealthChanged;
    }

    public IReadOnlyCollection<RepositoryStoreState> States => [.. _states.Values];

    /// <summary>Runs a reconciliation and tiering pass now (tests and operators need not wait for the timer).</summary>
    public async Task RunPassAsync(CancellationToken cancellationToken)
    {
        await _host.Stores.ProbeAsync(cancellationToken).ConfigureAwait(false);
        await _passLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var (record, repository) in await _host.OpenAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (repository.Store is not ICompositeStore) continue;
                string name = record.Tenant + "/" + record.Name;
                ReconcileReport? reconcile = null;
                TierReport? tiering = null;
                string? error = null;
                try
                {
                    foreach (var store in Composites(repository.Store))
                    {
                        if (store is FallbackStore fallback)
                        {
                            reconcile = await fallback.ReconcileAsync(repository, cancellationToken).ConfigureAwait(false);
                            if (reconcile.Moved > 0)
                                _logger.LogInformation("Repository {Repository}: moved {Objects} object(s), {Bytes} bytes, back to store {Primary}",
                                    name, reconcile.Moved, reconcile.Bytes, fallback.Primary.Store.Name);
                            foreach (var problem in reconcile.Problems) _logger.LogWarning("Repository {Repository}: reconciliation: {Problem}", name, problem);
                        }
                        else if (store is TieredStore tiered && tiered.Policy.MovesAnything)
                        {
                            tiering = await tiered.MoveAsync(repository, cancellationToken).ConfigureAwait(false);
                            if (tiering.Moved > 0)
                                _logger.LogInformation("Repository {Repository}: moved {Packs} pack(s), {Bytes} bytes, from {Hot} to {Cold}",
                                    name, tiering.Moved, tiering.Bytes, tiered.Hot.Name, tiered.Cold.Name);
                            foreach (var problem in tiering.Problems) _logger.LogWarning("Repository {Repository}: tiering: {Problem}", name, problem);
                        }
                    }
                }
                catch (Exception e) when (e is IOException or InvalidDataException && !cancellationToken.IsCancellationRequested)
                {
                    error = e.Message;
                    _logger.LogWarning("Repository {Repository}: store jobs failed: {Error}", name, e.Message);
                }
                _states[name] = new RepositoryStoreState(name, RepositoryHost.StoreOf(record), DateTimeOffset.UtcNow, reconcile, tiering, error);
            }
        }
        finally
        {
            _passLock.Release();
        }
    }

    /// <summary>Fallback and tiered stores in a repository's store tree, outermost first.</summary>
    private static IEnumerable<ICompositeStore> Composites(IPackStore store)
    {
        if (store is not ICompositeStore composite) yield break;
        yield return composite;
        foreach (var member in composite.MemberStores)
            foreach (var inner in Composites(member)) yield return inner;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_host.Stores.Settings.Values.Any(s => s.Type is "fallback" or "tiered")) return;
        var probe = TimeSpan.FromSeconds(_options.ProbeSeconds);
        var jobs = TimeSpan.FromSeconds(_options.StoreJobSeconds);
        var lastPass = DateTimeOffset.UtcNow;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var kick = _kick;
                await Task.WhenAny(Task.Delay(probe, stoppingToken), kick.Task).ConfigureAwait(false);
                stoppingToken.ThrowIfCancellationRequested();
                bool kicked = kick.Task.IsCompleted;
                if (kicked) _kick = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                if (kicked || DateTimeOffset.UtcNow - lastPass >= jobs)
                {
                    await RunPassAsync(stoppingToken).ConfigureAwait(false);
                    lastPass = DateTimeOffset.UtcNow;
                }
                else
                {
                    await _host.Stores.ProbeAsync(stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _logger.LogError(e, "Store jobs failed; they run again at the next interval");
            }
        }
    }

    private void OnHealthChanged(StoreHealth health, bool healthy)
    {
        if (healthy)
        {
            _logger.LogWarning("Store {Store} is healthy again (since {Since:O}); what was written elsewhere meanwhile moves back to it", health.Store, health.Since);
            // A primary that is back should get its packs back soon, not at the next interval.
            _kick.TrySetResult();
        }
        else
        {
            _logger.LogWarning("Store {Store} is unhealthy, writes go to the next store of its fallback: {Error}", health.Store, health.LastError);
        }
    }
}
