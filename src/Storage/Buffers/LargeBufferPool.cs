using System.Collections.Concurrent;

namespace Bunker.Storage.Buffers;

/// <summary>
/// A pool for the few very large buffers the write and read paths need (a pack being built, a
/// pack range being read: megabytes each). ArrayPool.Shared is the wrong home for them: it keeps
/// an array per size class in every thread that ever returned one, plus dozens per core, so a busy
/// daemon ends up holding hundreds of megabytes of idle pack buffers that no GC can reclaim. This
/// pool keeps at most <see cref="MaxRetained"/> arrays in total; the rest go to the GC.
/// </summary>
public sealed class LargeBufferPool
{
    private readonly ConcurrentStack<byte[]> _free = new();
    private int _retained;

    public LargeBufferPool(int maxRetained)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxRetained);
        MaxRetained = maxRetained;
    }

    /// <summary>Buffers for packs being built: one per writer plus one being sealed is the steady state.</summary>
    public static LargeBufferPool Packs { get; } = new(Environment.ProcessorCount + 1);

    /// <summary>Buffers for pack ranges being read for restores.</summary>
    public static LargeBufferPool Reads { get; } = new(2 * Environment.ProcessorCount);

    public int MaxRetained { get; }

    /// <summary>How many idle arrays the pool holds now.</summary>
    public int Retained => Volatile.Read(ref _retained);

    /// <summary>An array of at least <paramref name="minimumLength"/> bytes; its contents are undefined.</summary>
    public byte[] Rent(int minimumLength)
    {
        // Arrays too small for this request are dropped rather than kept: sizes in one pool are
        // nearly always the same, so a mismatch means the configuration changed.
        while (_free.TryPop(out var buffer))
        {
            Interlocked.Decrement(ref _retained);
            if (buffer.Length >= minimumLength)
                return buffer;
        }
        return GC.AllocateUninitializedArray<byte>(Math.Max(minimumLength, 1));
    }

    public void Return(byte[] buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (Interlocked.Increment(ref _retained) <= MaxRetained)
            _free.Push(buffer);
        else
            Interlocked.Decrement(ref _retained);
    }
}
