using System.Collections.Concurrent;
using Bunker.Chunking;
using Bunker.Index;

namespace Bunker.Server.Sessions;

/// <summary>
/// The open backup sessions. It is what garbage collection asks before it sweeps (invariant 3):
/// a digest confirmed to or uploaded by an open session is pinned, and no session older than
/// <see cref="OldestOpenSince"/> is unaccounted for. It also aborts every session on shutdown.
/// </summary>
public sealed class SessionRegistry
{
    private readonly ConcurrentDictionary<long, BackupSessionState> _open = new();
    private readonly int _maxSessions;
    private long _nextId;
    private int _count;
    private volatile bool _closed;

    public SessionRegistry(int maxSessions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSessions, 1);
        _maxSessions = maxSessions;
    }

    public int OpenCount => Volatile.Read(ref _count);

    /// <summary>Registers a session, or returns null when the server is full or shutting down.</summary>
    public BackupSessionState? TryOpen(RepositoryId repository, string description, int maxKnownDigests, CancellationToken callCancelled)
    {
        if (_closed) return null;
        if (Interlocked.Increment(ref _count) > _maxSessions)
        {
            Interlocked.Decrement(ref _count);
            return null;
        }
        var session = new BackupSessionState(Interlocked.Increment(ref _nextId), repository, description, maxKnownDigests, callCancelled);
        _open[session.Id] = session;
        // A shutdown that raced with this open must still abort it.
        if (_closed) session.Abort();
        return session;
    }

    public void Close(BackupSessionState session)
    {
        if (_open.TryRemove(session.Id, out _))
            Interlocked.Decrement(ref _count);
        session.Dispose();
    }

    /// <summary>True when an open session of <paramref name="repository"/> holds <paramref name="digest"/> pinned.</summary>
    public bool IsPinned(RepositoryId repository, in ChunkDigest digest)
    {
        foreach (var session in _open.Values)
        {
            if (session.Repository == repository && session.Knows(digest))
                return true;
        }
        return false;
    }

    /// <summary>
    /// Every digest the open sessions of <paramref name="repository"/> hold, for a garbage collection to mark once its
    /// barrier is up (from then on the barrier sees what they add). One session's set is copied at a time, into a
    /// pooled array, so the memory is one session's cap at most.
    /// </summary>
    public IEnumerable<ChunkDigest> PinnedDigests(RepositoryId repository)
    {
        foreach (var session in _open.Values)
        {
            if (session.Repository != repository) continue;
            var (copy, count) = session.CopyKnown();
            try
            {
                for (int i = 0; i < count; i++) yield return copy[i];
            }
            finally
            {
                System.Buffers.ArrayPool<ChunkDigest>.Shared.Return(copy);
            }
        }
    }

    /// <summary>When the oldest open session started, or null when none is open.</summary>
    public DateTimeOffset? OldestOpenSince
    {
        get
        {
            DateTimeOffset? oldest = null;
            foreach (var session in _open.Values)
            {
                if (oldest is null || session.Started < oldest) oldest = session.Started;
            }
            return oldest;
        }
    }

    /// <summary>Stops new sessions and aborts every open one (shutdown).</summary>
    public void AbortAll()
    {
        _closed = true;
        foreach (var session in _open.Values)
            session.Abort();
    }
}

/// <summary>A lookup of which digests are present: fills the flags, returns how many.</summary>
public delegate int LookupDigests(ReadOnlySpan<ChunkDigest> digests, Span<bool> present);

/// <summary>
/// One session's share of invariant 3: the digests it may reference (those it uploaded and those
/// the server confirmed to it), which are also the digests it pins. Memory is one entry per
/// distinct digest the session touched, capped so that one client cannot exhaust the server.
/// </summary>
public sealed class BackupSessionState : IDisposable
{
    private readonly HashSet<ChunkDigest> _known = [];
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _abort;
    private readonly int _maxKnown;

    internal BackupSessionState(long id, RepositoryId repository, string description, int maxKnown, CancellationToken callCancelled)
    {
        Id = id;
        Repository = repository;
        Description = description;
        _maxKnown = maxKnown;
        _abort = CancellationTokenSource.CreateLinkedTokenSource(callCancelled);
    }

    public long Id { get; }
    public RepositoryId Repository { get; }
    public string Description { get; }
    public DateTimeOffset Started { get; } = DateTimeOffset.UtcNow;
    /// <summary>Fires when the call ends or the server aborts the session.</summary>
    public CancellationToken Cancelled => _abort.Token;
    public bool AbortedByServer { get; private set; }
    public long Uploaded;
    public long Confirmed;

    public int KnownCount
    {
        get { lock (_lock) return _known.Count; }
    }

    /// <summary>
    /// Looks <paramref name="digests"/> up with <paramref name="lookup"/> and adds those present, as one step under the
    /// session's lock (see <see cref="SessionRegistry.PinnedDigests"/>); false when the session's cap would be passed.
    /// </summary>
    public bool TryConfirm(ReadOnlySpan<ChunkDigest> digests, Span<bool> present, LookupDigests lookup, out int found)
    {
        lock (_lock)
        {
            found = lookup(digests, present);
            for (int i = 0; i < digests.Length; i++)
            {
                if (!present[i]) continue;
                if (_known.Count >= _maxKnown && !_known.Contains(digests[i])) return false;
                _known.Add(digests[i]);
            }
            return true;
        }
    }

    public bool TryAdd(in ChunkDigest digest)
    {
        lock (_lock)
        {
            if (_known.Count >= _maxKnown && !_known.Contains(digest)) return false;
            _known.Add(digest);
            return true;
        }
    }

    /// <summary>The digests the session holds now, in a pooled array the caller returns.</summary>
    internal (ChunkDigest[] Digests, int Count) CopyKnown()
    {
        lock (_lock)
        {
            var copy = System.Buffers.ArrayPool<ChunkDigest>.Shared.Rent(Math.Max(1, _known.Count));
            _known.CopyTo(copy);
            return (copy, _known.Count);
        }
    }

    public bool Knows(in ChunkDigest digest)
    {
        lock (_lock) return _known.Contains(digest);
    }

    /// <summary>The index of the first digest the session may not reference, or -1 when it may reference them all.</summary>
    public int FirstUnknown(ReadOnlySpan<ChunkDigest> digests)
    {
        lock (_lock)
        {
            // A hole names no chunk, so there is nothing the session must have seen.
            for (int i = 0; i < digests.Length; i++)
                if (!digests[i].IsHole && !_known.Contains(digests[i])) return i;
        }
        return -1;
    }

    public void Abort()
    {
        AbortedByServer = true;
        try { _abort.Cancel(); }
        catch (ObjectDisposedException) { }
    }

    public void Dispose()
    {
        lock (_lock) _known.Clear();
        _abort.Dispose();
    }
}
