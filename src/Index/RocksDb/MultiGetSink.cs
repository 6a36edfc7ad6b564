namespace Bunker.Index.RocksDb;

/// <summary>
/// Receives the results of <see cref="RocksDatabase.MultiGet{TSink}"/>. A ref struct may implement
/// it, so results go straight into the caller's spans without a closure or a copy.
/// </summary>
internal interface IMultiGetSink
{
    /// <summary>Key <paramref name="index"/> was found; <paramref name="value"/> is valid only during the call.</summary>
    void Found(int index, ReadOnlySpan<byte> value);

    void Missing(int index);
}
