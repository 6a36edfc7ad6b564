namespace Bunker.Client.Arguments;

/// <summary>A repository as the admin commands name it: <c>TENANT/REPO</c>, or <c>REPO</c> for the token's own tenant.</summary>
public readonly record struct RepositoryPath(string Tenant, string Name)
{
    /// <summary>Splits at the one slash; <see cref="Tenant"/> is empty when there is none.</summary>
    public static RepositoryPath Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Trim().Split('/');
        return parts switch
        {
            [var name] when name.Length > 0 => new RepositoryPath("", name),
            [var tenant, var name] when tenant.Length > 0 && name.Length > 0 => new RepositoryPath(tenant, name),
            _ => throw new UsageException($"bad repository '{text}': use TENANT/REPO, or REPO for your own tenant"),
        };
    }
}
