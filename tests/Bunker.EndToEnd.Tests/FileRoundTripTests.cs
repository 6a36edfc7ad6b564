using System.Text.Json;
using Bunker.Tests.Shared;

namespace Bunker.EndToEnd.Tests;

/// <summary>
/// The files source end to end with the real binaries: a tree holding every edge case (tests/tools/filetree.py)
/// is backed up, restored into a new place, and compared by an independent oracle (Python's lstat, xattrs,
/// hardlink groups, holes, content hashes), not by the code under test.
/// </summary>
public sealed class FileRoundTripTests(RunningDaemon server) : IClassFixture<RunningDaemon>
{
    private async Task<Dictionary<string, string>> RepositoryAsync(string tenant) =>
        server.TokenEnvironment(await RunningDaemon.TenantAsync(server.AdminEnvironment, tenant, ["main"], scope: "main"), repository: "main");

    private static async Task<string> BackupAsync(Dictionary<string, string> env, params string[] args)
    {
        var run = await BunkerCli.RunAsync(env, ["backup", "files", .. args, "--json"]);
        Assert.True(run.Code == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Stdout);
        return json.RootElement.GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task Every_edge_case_survives_a_backup_and_a_restore_into_a_new_place()
    {
        var env = await RepositoryAsync("roundtrip");
        using var scratch = FileTrees.Scratch("bunker-roundtrip");
        string work = scratch.Path;
        {
            string source = Path.Combine(work, "source");
            await FileTrees.MakeEdgeCasesAsync(source);
            var before = await FileTrees.ManifestAsync(source);

            string id = await BackupAsync(env, source, "--tag", "roundtrip");
            Assert.Matches("^[0-9a-f]{64}$", id);

            foreach (var parallel in new[] { "1", "8" })
            {
                string target = Path.Combine(work, "restored-" + parallel);
                var restore = await BunkerCli.RunAsync(env, "restore", id[..12], "--target", target, "--parallel", parallel, "--verify");
                Assert.True(restore.Code == 0, restore.ToString());
                // The snapshot keeps absolute paths: the tree comes back below the target at its full path.
                FileTrees.AssertSameTree(before, await FileTrees.ManifestAsync(target + source));
            }
        }
    }
}
