using Bunker.Index;
using Bunker.Storage.Crypto;

namespace Bunker.Storage.Tests.Repository;

/// <summary>
/// A collection killed with SIGKILL at each of its points loses no live chunk, and the next collection leaves nothing
/// unreferenced: no orphan pack, no unreferenced chunk, every remaining snapshot whole.
/// </summary>
public sealed class GcCrashTests
{
    public static TheoryData<string> Points => new() { FaultPoints.GcMarked, FaultPoints.GcRewritten, FaultPoints.GcCondemned, FaultPoints.GcPackDeleted };

    private const int Bytes = 2 << 20;
    // Three quarters of the first snapshot's bytes begin the second: its 1 MiB packs end up wholly live, partly live
    // (rewritten, below 90%) and dead.
    private const int Prefix = 3 << 19;

    [Theory]
    [MemberData(nameof(Points))]
    public async Task A_collection_killed_at_any_point_loses_nothing_and_the_next_one_finishes_the_job(string point)
    {
        var root = Directory.CreateTempSubdirectory("bunker-gccrash-").FullName;
        try
        {
            MasterKey.GenerateKeyFile(Path.Combine(root, "master.key"));
            // Seeds are odd (TestData.Random uses seed | 1). The second snapshot begins with most of the first one's bytes, so
            // forgetting the first leaves some of its packs partly live (rewritten); the third's packs all die.
            var first = await BackupAsync(root, 31, Bytes);
            var second = await BackupAsync(root, 33, Bytes, "31:" + Prefix);
            var doomed = await BackupAsync(root, 35, Bytes);
            await using (var f = await RepositoryFixture.OpenExistingAsync(root))
            {
                await f.Repository.DeleteSnapshotAsync(first);
                await f.Repository.DeleteSnapshotAsync(doomed);
            }

            Assert.Equal($"AT {point}", await CrashChild.RunAsync([root, "gc", point], null, point));

            await using (var f = await RepositoryFixture.OpenExistingAsync(root))
            {
                byte[] expected = [.. TestData.Random(Prefix, 31), .. TestData.Random(Bytes, 33)];
                Assert.Equal(expected, await Backups.RestoreAsync(f.Repository, second, "data"));
                var report = await f.Repository.CollectGarbageAsync(new GcOptions { Grace = TimeSpan.Zero, RepackBelow = 0.9 });
                Assert.Empty(report.Problems);
                Assert.Equal(expected, await Backups.RestoreAsync(f.Repository, second, "data"));
                var check = await f.Repository.CheckAsync(readData: true);
                Assert.True(check.IsHealthy, string.Join("; ", check.Damaged.Concat(check.MissingPacks).Concat(check.MissingChunks)));
                Assert.Equal(0, check.UnreferencedChunks);
                Assert.Empty(check.OrphanPacks);
                Assert.Equal(check.PacksInStore, check.PacksIndexed);
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<SnapshotId> BackupAsync(string root, ulong seed, int bytes, string? prefix = null)
    {
        var env = prefix is null ? null : new Dictionary<string, string> { ["CRASH_PREFIX"] = prefix };
        string line = await CrashChild.RunAsync([root, seed.ToString(), bytes.ToString()], "COMMITTED ", null, env);
        return SnapshotId.Parse(line["COMMITTED ".Length..]);
    }
}
