using Bunker.Client.Arguments;
using Bunker.Client.Commands;
using Bunker.Protocol.V1;

namespace Bunker.Client.Tests;

public sealed class ArgumentTests
{
    [Theory]
    [InlineData("90m", 90 * 60)]
    [InlineData("12h", 12 * 3600)]
    [InlineData("30d", 30 * 86400)]
    [InlineData("2w", 14 * 86400)]
    [InlineData("45s", 45)]
    [InlineData("1d12h", 36 * 3600)]
    [InlineData(" 12H ", 12 * 3600)]
    public void DurationsParse(string text, long seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), Durations.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("30")]          // a number without a unit
    [InlineData("d")]           // a unit without a number
    [InlineData("3x")]
    [InlineData("-5m")]
    [InlineData("1.5h")]
    [InlineData("0d")]
    [InlineData("99999999999999999999d")]
    [InlineData("9223372036854775807w")]
    public void BadDurationsAreUsageErrors(string text) =>
        Assert.Throws<UsageException>(() => Durations.Parse(text));

    [Theory]
    [InlineData("admin", Role.Admin)]
    [InlineData("BACKUP", Role.Backup)]
    [InlineData("Restore", Role.Restore)]
    [InlineData("operator", Role.Operator)]
    public void RolesParseInAnyCase(string text, Role role) => Assert.Equal(role, Roles.Parse(text));

    [Theory]
    [InlineData("root")]
    [InlineData("unspecified")]
    [InlineData("ROLE_ADMIN")]
    [InlineData("")]
    public void UnknownRolesAreUsageErrorsListingTheKnownOnes(string text)
    {
        var e = Assert.Throws<UsageException>(() => Roles.Parse(text));
        Assert.Contains("admin, backup, restore, operator", e.Message);
    }

    [Fact]
    public void RoleListsSplitOnCommasAndDropDuplicates() =>
        Assert.Equal([Role.Backup, Role.Restore, Role.Admin], TokenCommands.ParseRoles(["backup,restore", "admin", "Backup"]));

    [Theory]
    [InlineData("acme/photos", "acme", "photos")]
    [InlineData("photos", "", "photos")]
    public void RepositoryPathsParse(string text, string tenant, string name) =>
        Assert.Equal(new RepositoryPath(tenant, name), RepositoryPath.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("/photos")]
    [InlineData("acme/")]
    [InlineData("a/b/c")]
    public void BadRepositoryPathsAreUsageErrors(string text) =>
        Assert.Throws<UsageException>(() => RepositoryPath.Parse(text));
}
