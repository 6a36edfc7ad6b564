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
