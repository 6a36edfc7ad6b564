namespace Bunker.Storage.Stores;

/// <summary>
/// Validates object names before any store turns them into paths or keys. Names come from the
/// index, from listings and, later, from the network, so a hostile one ("../x", "a/b", "") must
/// never reach the filesystem.
/// </summary>
public static class ObjectNames
{
    public const string ConfigName = "config";
    /// <summary>The repository's tenant and name, sealed with its data key: what recovery from the store alone needs to re-register it.</summary>
    public const string OwnerName = "owner";
    /// <summary>Every object of kind Config a repository may hold.</summary>
    public const string PolicyName = "policy";
    public const string ProtectedName = "protected";
    /// <summary>The scheduled jobs' last runs (see bunkerd's lifecycle jobs).</summary>
    public const string LifecycleName = "lifecycle";
    public static IReadOnlyList<string> ConfigNames { get; } = [ConfigName, OwnerName, PolicyName, ProtectedName, LifecycleName];

    public static void Validate(StoreObjectKind kind, string name)
    {
        if (!IsValid(kind, name))
            throw new ArgumentException($"'{Printable(name)}' is not a valid {kind.ToString().ToLowerInvariant()} object name", nameof(name));
    }

    public static bool IsValid(StoreObjectKind kind, string name) => kind switch
    {
        StoreObjectKind.Config => name is ConfigName or OwnerName or PolicyName or ProtectedName or LifecycleName,
        StoreObjectKind.Pack or StoreObjectKind.Snapshot or StoreObjectKind.Quarantine => IsLowerHex64(name),
        _ => false,
    };

    private static bool IsLowerHex64(string name)
    {
        if (name.Length != 64) return false;
        foreach (char c in name)
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c)) return false;
        }
        return true;
    }

    private static string Printable(string name) => name.Length > 80 ? name[..80] + "..." : name;
}
