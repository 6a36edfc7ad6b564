namespace Bunker.Storage.Stores;

/// <summary>Base of every error a store raises about an object.</summary>
public class StoreException : IOException
{
    public StoreException(string message, Exception? inner = null) : base(message, inner) { }
}

public sealed class StoreObjectNotFoundException : StoreException
{
    public StoreObjectNotFoundException(string store, StoreObjectKind kind, string name)
        : base($"{kind.ToString().ToLowerInvariant()} {name} is missing from store '{store}'")
    {
        Kind = kind;
        Name = name;
    }

    public StoreObjectKind Kind { get; }
    public string Name { get; }
}

public sealed class StoreObjectTruncatedException : StoreException
{
    public StoreObjectTruncatedException(string store, StoreObjectKind kind, string name, long size, long wantedEnd)
        : base($"{kind.ToString().ToLowerInvariant()} {name} in store '{store}' is truncated: it has {size} bytes but a read needs {wantedEnd}")
    {
        Size = size;
        WantedEnd = wantedEnd;
    }

    public long Size { get; }
    public long WantedEnd { get; }
}

/// <summary>
/// The store could not be asked: unreachable, refusing, throttling or timing out beyond its retries. Nothing is known
/// about the object; a store made of several takes this as a sign of bad health and turns to the next member.
/// </summary>
public sealed class StoreUnavailableException : StoreException
{
    public StoreUnavailableException(string store, string message, Exception? inner = null)
        : base($"store '{store}' is unavailable: {message}", inner)
    {
        Store = store;
    }

    public string Store { get; }
}

/// <summary>The store holds an object that is not what was written: its bytes do not match the name or checksum it was stored under.</summary>
public sealed class StoreObjectCorruptException : StoreException
{
    public StoreObjectCorruptException(string store, StoreObjectKind kind, string name, string reason)
        : base($"{kind.ToString().ToLowerInvariant()} {name} in store '{store}' is damaged: {reason}")
    {
        Kind = kind;
        Name = name;
    }

    public StoreObjectKind Kind { get; }
    public string Name { get; }
}
