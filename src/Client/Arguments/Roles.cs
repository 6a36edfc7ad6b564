using Bunker.Protocol.V1;

namespace Bunker.Client.Arguments;

/// <summary>Role names on the command line and in output: the proto names without the <c>ROLE_</c> prefix, lower case.</summary>
public static class Roles
{
    private static readonly Role[] Known = [Role.Admin, Role.Backup, Role.Restore, Role.Operator];

    /// <summary>Parses admin, backup, restore or operator (any case); throws <see cref="UsageException"/> otherwise.</summary>
    public static Role Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var role in Known)
        {
            if (string.Equals(text.Trim(), Name(role), StringComparison.OrdinalIgnoreCase)) return role;
        }
        throw new UsageException($"unknown role '{text}': use one of {string.Join(", ", Known.Select(Name))}");
    }

    /// <summary>The role's name as <see cref="Parse"/> accepts it; a role this client does not know shows as its number.</summary>
    public static string Name(Role role) => role switch
    {
        Role.Admin => "admin",
        Role.Backup => "backup",
        Role.Restore => "restore",
        Role.Operator => "operator",
        _ => ((int)role).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
