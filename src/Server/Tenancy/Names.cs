using System.Text.RegularExpressions;

namespace Bunker.Server.Tenancy;

/// <summary>
/// Tenant and repository names. They become directory names and RocksDB key parts, so they are
/// kept to a small, unambiguous alphabet: lower-case letters, digits, '.', '_' and '-', starting
/// with a letter or digit, at most 63 characters.
/// </summary>
public static partial class Names
{
    /// <summary>The built-in tenant whose admins manage every tenant. It holds no repositories.</summary>
    public const string SystemTenant = "system";

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,62}$")]
    private static partial Regex Pattern();

    public static bool IsValid(string? name) => name is not null && Pattern().IsMatch(name);

    /// <summary>Throws <see cref="ArgumentException"/> with a message fit for a client when the name is not valid.</summary>
    public static void Check(string? name, string what)
    {
        if (!IsValid(name))
            throw new ArgumentException($"{what} name '{Shorten(name)}' is not valid: use 1 to 63 of a-z, 0-9, '.', '_', '-', starting with a letter or digit");
    }

    private static string Shorten(string? name) => name is null ? "" : name.Length <= 70 ? name : name[..70] + "…";
}
