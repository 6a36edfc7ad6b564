using Bunker.Storage.Buffers;

namespace Bunker.Storage.Tests;

public sealed class LargeBufferPoolTests
{
    [Fact]
    public void Keeps_at_most_its_limit_and_reuses_what_it_keeps()
    {
        var pool = new LargeBufferPool(maxRetained: 2);
        var buffers = Enumerable.Range(0, 5).Select(_ => pool.Rent(1000)).ToList();
        Assert.All(buffers, b => Assert.True(b.Length >= 1000));
        foreach (var buffer in buffers) pool.Return(buffer);
        Assert.Equal(2, pool.Retained);
        var again = pool.Rent(1000);
        Assert.Contains(again, buffers);
        Assert.Equal(1, pool.Retained);
    }

    [Fact]
    public void An_idle_buffer_too_small_for_a_request_is_dropped_not_handed_out()
    {
        var pool = new LargeBufferPool(maxRetained: 4);
        var small = pool.Rent(100);
        pool.Return(small);
        var big = pool.Rent(5000);
        Assert.NotSame(small, big);
        Assert.True(big.Length >= 5000);
        Assert.Equal(0, pool.Retained);
    }
}
