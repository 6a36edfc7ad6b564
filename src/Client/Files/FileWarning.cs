namespace Bunker.Client.Files;

/// <summary>A file or entry that could not be read or written, and why; the command names each one and exits 3.</summary>
/// <param name="Path">The entry's path as shown to people (<see cref="Catalog.CatalogPath.Display"/>).</param>
/// <param name="Message">The reason, with the system's error text where there is one.</param>
public sealed record FileWarning(string Path, string Message);
