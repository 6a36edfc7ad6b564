// Usage: Bunker.CrashChild ROOT SEED BYTES [FAULT-POINT]
// Opens (or creates) the repository under ROOT (store/, index/, master.key), backs up BYTES of
// seeded data as one snapshot, and prints "COMMITTED <id>". With FAULT-POINT it prints
// "AT <point>" when the write path reaches that point and then waits to be killed.
using Bunker.Chunking;
using Bunker.Index;
using Bunker.Storage;
using Bunker.Storage.Crypto;
using Bunker.Storage.Stores;
using Bunker.Storage.Tests;

string root = args[0];
ulong seed = ulong.Parse(args[1]);
int bytes = int.Parse(args[2]);
string? faultPoint = args.Length > 3 ? args[3] : null;

if (faultPoint is not null)
{
    FaultPoints.Hook = point =>
    {
        if (point != faultPoint) return;
        Console.Out.WriteLine($"AT {point}");
        Console.Out.Flush();
        Thread.Sleep(Timeout.Infinite);
    };
}

var store = LocalDiskStore.Open(Path.Combine(root, "store"));
using var index = BunkerIndex.Open(new IndexOptions { Path = Path.Combine(root, "index"), BlockCacheBytes = 8 << 20 });
using var key = MasterKey.FromKeyFile(Path.Combine(root, "master.key"));
var options = new RepositoryOptions { PackTargetSize = 1 << 20, Writers = 1 };
await using var repository = File.Exists(Path.Combine(root, "store", "config"))
    ? await Repository.OpenAsync(store, index, key, options)
    : await Repository.CreateAsync(store, index, key, options);

var data = TestData.Random(bytes, seed);

var archive = repository.CreateArchive("data");
await archive.AppendStreamAsync(new MemoryStream(data), new FastCdcChunker(new FastCdcOptions { MinSize = 16 << 10, AverageSize = 64 << 10, MaxSize = 256 << 10 }));
var snapshot = await repository.CommitSnapshotAsync(new SnapshotDraft("files", "crash-host", $"seed-{seed}"), [archive]);
Console.Out.WriteLine($"COMMITTED {snapshot.Id}");
return 0;
