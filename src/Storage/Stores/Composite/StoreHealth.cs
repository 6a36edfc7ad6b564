namespace Bunker.Storage.Stores.Composite;

/// <summary>When a store is taken for unhealthy, and when for healthy again.</summary>
public sealed record StoreHealthPolicy
{
    /// <summary>Consecutive failed probes that mark a store unhealthy. A real operation that failed after all its retries marks it at once.</summary>
    public int FailedProbesToDegrade { get; init; } = 2;
    /// <summary>Consecutive good probes, spanning at least <see cref="RecoverAfter"/>, before an unhealthy store is trusted again.</summary>
    public int GoodProbesToRecover { get; init; } = 3;
    /// <summary>The least time an unhealthy store stays so: a store that flaps is not written to on every up.</summary>
    public TimeSpan RecoverAfter { get; init; } = TimeSpan.FromSeconds(30);

    public void Validate()
    {
        if (FailedProbesToDegrade < 1 || GoodProbesToRecover < 1) throw new ArgumentException("the probe counts of a health policy must be at least 1");
        if (RecoverAfter < TimeSpan.Zero) throw new ArgumentException("RecoverAfter must not be negative");
    }
}

/// <summary>
/// Whether one store is fit to write to, from its probes and from what real operations met, with hysteresis: it
/// degrades fast (one operation that failed past its retries, or a few failed probes in a row) and recovers slowly
/// (several good probes in a row over a minimum time), so a flapping store does not thrash writes between members.
/// Thread-safe. Reads ignore it: a pack is read wherever it is.
/// </summary>
public sealed class StoreHealth(string store, StoreHealthPolicy policy, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private bool _healthy = true;
    private int _failedProbes;
    private int _goodProbes;
    private DateTimeOffset _since = (time ?? TimeProvider.System).GetUtcNow();
    private string? _lastError;
    private long _failures;

    public string Store { get; } = store;
    public StoreHealthPolicy Policy { get; } = policy;

    public bool IsHealthy { get { lock (_lock) return _healthy; } }
    /// <summary>When the current state began.</summary>
    public DateTimeOffset Since { get { lock (_lock) return _since; } }
    public string? LastError { get { lock (_lock) return _lastError; } }
    /// <summary>Operations and probes that failed, since start.</summary>
    public long Failures { get { lock (_lock) return _failures; } }

    /// <summary>Raised (outside the lock) when the state changes: true for healthy again.</summary>
    public event Action<StoreHealth, bool>? Changed;

    /// <summary>A real operation failed after all its retries: the store is unhealthy now.</summary>
    public void OperationFailed(Exception error) => Update(() =>
    {
        _failures++;
        _lastError = error.Message;
        _goodProbes = 0;
        return Degrade();
    });

    /// <summary>A real operation worked. It does not make an unhealthy store healthy (only probes over time do); it resets the count of failed probes.</summary>
    public void OperationSucceeded() => Update(() =>
    {
        _failedProbes = 0;
        return null;
    });

    public void ProbeFailed(Exception error) => Update(() =>
    {
        _failures++;
        _lastError = error.Message;
        _goodProbes = 0;
        return ++_failedProbes >= Policy.FailedProbesToDegrade ? Degrade() : null;
    });

    public void ProbeSucceeded() => Update(() =>
    {
        _failedProbes = 0;
        if (_healthy) return null;
        _goodProbes++;
        if (_goodProbes < Policy.GoodProbesToRecover || _time.GetUtcNow() - _since < Policy.RecoverAfter) return null;
        _healthy = true;
        _since = _time.GetUtcNow();
        _goodProbes = 0;
        return true;
    });

    private bool? Degrade()
    {
        if (!_healthy) return null;
        _healthy = false;
        _since = _time.GetUtcNow();
        return false;
    }

    private void Update(Func<bool?> change)
    {
        bool? changed;
        lock (_lock) changed = change();
        if (changed is { } healthy) Changed?.Invoke(this, healthy);
    }
}
