using System.Diagnostics;
using System.Text.Json;
using Bunker.Tests.Shared;

namespace Bunker.EndToEnd.Tests.Stores;

/// <summary>
/// bunkerd on S3 (s3rver), on a fallback of two buckets, and on a tiered store, through the bunker CLI: round trips,
/// the primary killed in the middle of a large backup, reconciliation once it is back, and a whole daemon recovered
/// from the bucket and the master key alone.
/// </summary>
public sealed class StoreTests
{
    private static async Task<string> TreeAsync(string root, int files, int size, int seed)
    {
        Directory.CreateDirectory(root);
        var random = new Random(seed);
        var data = new byte[size];
        for (int i = 0; i < files; i++)
        {
            random.NextBytes(data);
            await File.WriteAllBytesAsync(Path.Combine(root, $"file{i:D3}.bin"), data);
        }
        await File.WriteAllTextAsync(Path.Combine(root, "notes.txt"), $"seed {seed}\n");
        return root;
    }

    private static async Task<string> BackupAsync(Dictionary<string, string> env, string tree)
    {
        var run = await BunkerCli.RunAsync(env, "backup", "files", tree);
        Assert.True(run.Code == 0, run.ToString());
        return run.Stdout.Trim();
    }

    /// <summary>Restores <paramref name="snapshot"/> with --verify into a new directory and compares it with <paramref name="tree"/>.</summary>
    private static async Task RestoreAndCompareAsync(Dictionary<string, string> env, string snapshot, string tree, string scratch)
    {
        string target = Path.Combine(scratch, $"restore-{Guid.NewGuid():N}");
        var run = await BunkerCli.RunAsync(env, "restore", snapshot, "--target", target, "--verify");
        Assert.True(run.Code == 0, run.ToString());
        FileTrees.AssertSameTree(await FileTrees.ManifestAsync(tree), await FileTrees.ManifestAsync(target + tree));
        Directory.Delete(target, recursive: true);
    }

    [Fact]
    public async Task Backups_round_trip_through_an_s3_store_a_fallback_and_a_tiered_store()
    {
        await using var site = await StoreSite.StartAsync();
        foreach (var repository in new[] { "s3", "safe", "tier" })
        {
            string tree = await TreeAsync(Path.Combine(site.Root, "trees", repository), files: 6, size: 1 << 20, seed: repository.Length);
            string id = await BackupAsync(site.Env(repository), tree);
            await RestoreAndCompareAsync(site.Env(repository), id, tree, site.Root);
        }
        // The packs are where the stores put them: acme/s3 and acme/safe in the primary bucket, acme/tier hot first.
        Assert.Equal(["s3a"], (await site.PacksAsync("s3")).Keys);
        Assert.Equal(["s3a"], (await site.PacksAsync("safe")).Keys);
        Assert.True(Directory.EnumerateFiles(Path.Combine(site.Primary.Directory, site.Primary.Bucket, "site", "repos"), "*._S3rver_object", SearchOption.AllDirectories).Any());

        // The tiering job moves acme/tier's packs cold (HotMaxBytes 0); a restore then reads them from S3 through the cache.
        await StoreSite.WaitUntilAsync(async () => (await site.PacksAsync("tier")).Keys.SequenceEqual(["s3a"]), "acme/tier's packs are all on s3a");
        string tierTree = Path.Combine(site.Root, "trees", "tier");
        await RestoreAndCompareAsync(site.Env("tier"), "latest", tierTree, site.Root);

        var (code, status) = await site.StatusAsync();
        Assert.Equal(0, code);
        Assert.False(status.GetProperty("degraded").GetBoolean());
        var s3a = status.GetProperty("stores").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "s3a");
        Assert.True(s3a.GetProperty("s3").GetProperty("puts").GetInt64() > 0);
    }

    [Fact]
    public async Task The_primary_dying_mid_backup_is_survived_and_reconciled_and_the_bucket_alone_recovers_the_daemon()
    {
        await using var site = await StoreSite.StartAsync();
        var env = site.Env("safe");
        string small = await TreeAsync(Path.Combine(site.Root, "trees", "small"), files: 3, size: 1 << 20, seed: 1);
        string first = await BackupAsync(env, small);

        // A large backup; the primary is killed once it holds some of its packs.
        string large = await TreeAsync(Path.Combine(site.Root, "trees", "large"), files: 48, size: 2 << 20, seed: 2);
        string packs = Path.Combine(site.Primary.Directory, site.Primary.Bucket, "site", "repos");
        int before = Directory.EnumerateFiles(packs, "*._S3rver_object", SearchOption.AllDirectories).Count();
        var backup = BunkerCli.RunAsync(env, "backup", "files", large);
        await StoreSite.WaitUntilAsync(() => Task.FromResult(backup.IsCompleted || Directory.EnumerateFiles(packs, "*._S3rver_object", SearchOption.AllDirectories).Count() >= before + 6),
            "the primary holds some of the large backup's packs");
        Assert.False(backup.IsCompleted, "the backup finished before the primary could be killed under it");
        await site.Primary.KillAsync();
        var done = await backup;
        Assert.True(done.Code == 0, "the backup must complete on the fallback: " + done);
        string during = done.Stdout.Trim();

        // Degraded, and it says so: exit 3, the primary unhealthy, packs on the fallback.
        var (code, status) = await site.StatusAsync();
        Assert.Equal(3, code);
        Assert.True(status.GetProperty("degraded").GetBoolean());
        var primary = status.GetProperty("stores").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "s3a");
        Assert.False(primary.GetProperty("healthy").GetBoolean());
        Assert.True((await site.PacksAsync("safe")).GetValueOrDefault("s3b") > 0);
        Assert.Contains("unhealthy", site.Daemon.Output);

        // Backups and restores keep working on what the fallback holds.
        string outage = await TreeAsync(Path.Combine(site.Root, "trees", "outage"), files: 2, size: 1 << 20, seed: 3);
        string third = await BackupAsync(env, outage);
        await RestoreAndCompareAsync(env, third, outage, site.Root);

        // The primary comes back: reconciliation moves everything home, checked copy by copy.
        await site.Primary.StartAgainAsync();
        await StoreSite.WaitUntilAsync(async () => (await site.PacksAsync("safe")).Keys.SequenceEqual(["s3a"]), "every pack of acme/safe is back on s3a");
        (code, status) = await site.StatusAsync();
        Assert.Equal(0, code);
        Assert.False(status.GetProperty("degraded").GetBoolean());
        Assert.DoesNotContain(Directory.EnumerateFiles(Path.Combine(site.Fallback.Directory, site.Fallback.Bucket), "*._S3rver_object", SearchOption.AllDirectories),
            f => f.Contains("/packs/") || f.Contains("/snapshots/"));
        foreach (var (snapshot, tree) in new[] { (first, small), (during, large), (third, outage) })
            await RestoreAndCompareAsync(env, snapshot, tree, site.Root);

        // The site is lost; the bucket and the master key are not. A new daemon is rebuilt from them.
        await site.StopDaemonAsync();
        string key = Path.Combine(site.Root, "master.key.copy");
        File.Copy(Path.Combine(site.Data, "master.key"), key);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Directory.Delete(site.Data, recursive: true);
        string recovered = Path.Combine(site.Root, "recovered");
        var recover = await ExternalTools.RunSeparatelyAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "bunkerd.dll"), "recover",
            "--store", site.ConfigFile, "--master-key", key, "--data", recovered], "/", TimeSpan.FromMinutes(3));
        Assert.True(recover.Code == 0, recover.ToString());
        Assert.Contains("recovered repository acme/safe", recover.Stdout);
        Assert.Contains("in store safe", recover.Stdout);
        Assert.Contains("3 snapshots", recover.Stdout);
        // Tokens are not in the store: the old one is refused, a new admin token makes a new one.
        var admin = new Dictionary<string, string> { ["BUNKER_TOKEN_FILE"] = Path.Combine(recovered, "admin.token") };
        await site.UseDaemonAsync(recovered, "");
        admin["BUNKER_SERVER"] = site.Daemon.Address.ToString();
        var old = await BunkerCli.RunAsync(new Dictionary<string, string>(env) { ["BUNKER_SERVER"] = site.Daemon.Address.ToString() }, "snapshots");
        Assert.Equal(1, old.Code);
        Assert.Contains("UNAUTHENTICATED", old.Stderr);
        var token = await BunkerCli.RunAsync(admin, "admin", "token", "create", "--tenant", "acme", "--role", "restore");
        Assert.True(token.Code == 0, token.ToString());
        await site.UseDaemonAsync(recovered, token.Stdout.Trim());
        var list = await BunkerCli.RunAsync(site.Env("safe"), "snapshots", "--json");
        Assert.Equal(3, JsonDocument.Parse(list.Stdout).RootElement.GetArrayLength());
        foreach (var (snapshot, tree) in new[] { (first, small), (during, large), (third, outage) })
            await RestoreAndCompareAsync(site.Env("safe"), snapshot, tree, site.Root);
    }
}
