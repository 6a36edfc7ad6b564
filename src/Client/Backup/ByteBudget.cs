using System.Runtime.ExceptionServices;

namespace Bunker.Client.Backup;

/// <summary>
/// Counts bytes held against a limit; one producer waits when a reservation does not fit, releases
/// come from any thread. When nothing is held, any reservation fits, so one oversized item can
/// always pass instead of waiting forever.
/// </summary>
internal sealed class ByteBudget(long limit)
{
    private readonly Lock _lock = new();
    private long _held;
    private long _peak;
    private TaskCompletionSource? _waiter;
    private long _waitingFor;
    private Exception? _failure;

    public long Peak
    {
        get { lock (_lock) return _peak; }
    }

    /// <summary>Takes <paramref name="bytes"/> if they fit now; otherwise false and nothing is taken.</summary>
    public bool TryReserve(long bytes)
    {
        lock (_lock)
        {
            if (_failure is not null) ExceptionDispatchInfo.Throw(_failure);
            if (!Fits(bytes)) return false;
            Take(bytes);
            return true;
        }
    }

    /// <summary>Waits until <paramref name="bytes"/> fit, then takes them. One waiter at a time.</summary>
    public async ValueTask ReserveAsync(long bytes, CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        lock (_lock)
        {
            if (_failure is not null) ExceptionDispatchInfo.Throw(_failure);
            if (Fits(bytes))
            {
                Take(bytes);
                return;
            }
            if (_waiter is not null) throw new InvalidOperationException("Only one caller may wait for the buffer budget at a time.");
            waiter = _waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waitingFor = bytes;
        }
        await using var registration = cancellationToken.Register(() =>
        {
            lock (_lock)
            {
                // Only a waiter not yet granted may be cancelled: once Release took the bytes for it, they are its own.
                if (_waiter != waiter) return;
                _waiter = null;
            }
            waiter.TrySetCanceled(cancellationToken);
        }).ConfigureAwait(false);
        await waiter.Task.ConfigureAwait(false);
    }

    public void Release(long bytes)
    {
        TaskCompletionSource? granted = null;
        lock (_lock)
        {
            _held -= bytes;
            if (_waiter is not null && Fits(_waitingFor))
            {
                Take(_waitingFor);
                granted = _waiter;
                _waiter = null;
            }
        }
        granted?.TrySetResult();
    }

    /// <summary>Wakes a waiter with <paramref name="failure"/>, and makes every later reservation throw it.</summary>
    public void Fail(Exception failure)
    {
        TaskCompletionSource? waiter;
        lock (_lock)
        {
            _failure ??= failure;
            waiter = _waiter;
            _waiter = null;
        }
        waiter?.TrySetException(failure);
    }

    private bool Fits(long bytes) => _held == 0 || _held + bytes <= limit;

    private void Take(long bytes)
    {
        _held += bytes;
        if (_held > _peak) _peak = _held;
    }
}
