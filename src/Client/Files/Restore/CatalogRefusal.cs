namespace Bunker.Client.Files.Restore;

/// <summary>The error for a catalog that a restore will not follow: it names the entry, and the restore stops.</summary>
internal static class CatalogRefusal
{
    public static InvalidDataException Of(string entry, string reason) => new($"catalog entry '{entry}' is refused: {reason}");
}
