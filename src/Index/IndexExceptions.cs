namespace Bunker.Index;

/// <summary>A stored value could not be decoded. The index is a rebuildable cache: rebuild it from the store.</summary>
public sealed class IndexCorruptException : Exception
{
    public IndexCorruptException(string message) : base(message) { }
    public IndexCorruptException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>The index directory is locked because another <see cref="BunkerIndex"/> (in this or another process) has it open.</summary>
public sealed class IndexAlreadyOpenException : IOException
{
    public IndexAlreadyOpenException(string message, Exception inner) : base(message, inner) { }
}
