using System.Diagnostics;
using Bunker.Index;
using Bunker.Storage.Crypto;
using Bunker.Storage.Stores;

namespace Bunker.Storage.Tests.Repository;

/// <summary>
/// Invariant 2 with real crashes: a child process writes a second snapshot and is killed with
/// SIGKILL at a chosen point of the write path. The repository must open, keep the first snapshot
/// whole, and account for every byte the dead writer left behind.
/// </summary>
public class CrashRecoveryTests
{
    private const int FirstBytes = 3 << 20;
    private const int SecondBytes = 3 << 20;

    public static TheoryData<string> Points => new()
    {
        FaultPoints.PackSealed, FaultPoints.PackStored, FaultPoints.SnapshotIntent, FaultPoints.SnapshotStored,
    };

    [Theory]
    [MemberData(nameof(Points))]
    public async Task AKillAtAFaultPointLosesNothingCommittedAndLeavesAccountedGarbage(string point)
    {
        var root = NewRoot();
        try
        {
            var first = SnapshotId.Parse(await RunChildAsync(root, 1, FirstBytes, null));
            await RunChildAsync(root, 2, SecondBytes, point);

            await using (var f = await RepositoryFixture.OpenExistingAsync(root))
            {
                var repository = f.Repository;
                var recovery = repository.Recovery;
                Assert.Equal(TestData.Random(FirstBytes, 1), await Backups.RestoreAsync(repository, first, "data"));
                var check = await repository.CheckAsync(readData: true);
                Assert.True(check.IsHealthy, string.Join("; ", check.Damaged.Concat(check.MissingPacks).Concat(check.MissingChunks)));
                Assert.Empty(check.OrphanPacks);
                Assert.Equal(check.PacksInStore, check.PacksIndexed);

                switch (point)
                {
                    case FaultPoints.PackSealed:
                        Assert.Equal(1, recovery.AbandonedPacks);
                        Assert.Single(repository.ListSnapshots());
                        break;
                    case FaultPoints.PackStored:
                        Assert.Equal(1, recovery.RecoveredPacks);
                        Assert.Single(repository.ListSnapshots());
                        Assert.True(check.UnreferencedChunks > 0, "the recovered pack's chunks are garbage until a retry references them");
                        break;
                    case FaultPoints.SnapshotIntent:
                        Assert.Equal(1, recovery.AbandonedSnapshots);
                        Assert.Single(repository.ListSnapshots());
                        Assert.True(check.UnreferencedChunks > 0);
                        break;
                    case FaultPoints.SnapshotStored:
                        Assert.Equal(1, recovery.RecoveredSnapshots);
                        Assert.Equal(2, repository.ListSnapshots().Count());
                        Assert.Equal(0, check.UnreferencedChunks);
                        var second = repository.ListSnapshots().Single(s => s.Id != first);
                        Assert.Equal(TestData.Random(SecondBytes, 2), await Backups.RestoreAsync(repository, second.Id, "data"));
                        break;
                }
                // A second open finds nothing left to settle.
                await f.ReopenAsync();
                Assert.False(f.Repository.Recovery.FoundAnything);
            }

            // The retried backup commits, and afterwards nothing is unaccounted for.
            await RunChildAsync(root, 2, SecondBytes, null);
            await using (var f = await RepositoryFixture.OpenExistingAsync(root))
            {
                var check = await f.Repository.CheckAsync();
                Assert.True(check.IsHealthy);
                Assert.Equal(0, check.UnreferencedChunks);
                Assert.Empty(check.OrphanPacks);
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task AKillAtAnArbitraryMomentLeavesARepositoryThatOpensAndChecksClean()
    {
        var root = NewRoot();
        try
        {
            var first = SnapshotId.Parse(await RunChildAsync(root, 3, FirstBytes, null));
            using (var child = StartChild(root, 4, 64 << 20, null))
            {
                await Task.Delay(1500);
                child.Kill();
                await child.WaitForExitAsync();
            }
            await using var f = await RepositoryFixture.OpenExistingAsync(root);
            Assert.Equal(TestData.Random(FirstBytes, 3), await Backups.RestoreAsync(f.Repository, first, "data"));
            var check = await f.Repository.CheckAsync(readData: true);
            Assert.True(check.IsHealthy);
            Assert.Empty(check.OrphanPacks);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static string NewRoot()
    {
        var root = Directory.CreateTempSubdirectory("bunker-crash-").FullName;
        MasterKey.GenerateKeyFile(Path.Combine(root, "master.key"));
        return root;
    }

    /// <summary>Runs the child to completion (returns the snapshot id) or, with a point, until it stops there, then kills it.</summary>
    private static async Task<string> RunChildAsync(string root, ulong seed, int bytes, string? point)
    {
        string[] args = point is null ? [root, seed.ToString(), bytes.ToString()] : [root, seed.ToString(), bytes.ToString(), point];
        string line = await CrashChild.RunAsync(args, point is null ? "COMMITTED " : null, point);
        return point is null ? line["COMMITTED ".Length..] : point;
    }

    private static Process StartChild(string root, ulong seed, int bytes, string? point) =>
        CrashChild.Start(point is null ? [root, seed.ToString(), bytes.ToString()] : [root, seed.ToString(), bytes.ToString(), point]);
}
