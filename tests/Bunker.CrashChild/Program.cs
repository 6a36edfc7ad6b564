// Usage: Bunker.CrashChild ROOT SEED BYTES [FAULT-POINT]
//        Bunker.CrashChild ROOT gc FAULT-POINT|-
// Opens (or creates) the repository under ROOT (store/, index/, master.key), backs up BYTES of
// seeded data as one snapshot (after the bytes of CRASH_PREFIX=SEED:BYTES, when set), and prints
// "COMMITTED <id>"; or, with "gc", collects garbage (no grace, packs under 90% live rewritten) and
// prints "GC <dead chunks>". With FAULT-POINT it prints "AT <point>" when the code reaches that
// point and then waits to be killed.
using Bunker.Chunking;
using Bunker.Index;
using Bunker.Storage;
using Bunker.Storage.Crypto;
using Bunker.Storage.Stores;
using Bunker.Storage.Tests;

string root = args[0];
bool gc = args[1] == "gc";
ulong seed = gc ? 0 : ulong.Parse(args[1]);
int bytes = gc ? 0 : int.Parse(args[2]);
string? faultPoint = gc ? (args[2] == "-" ? null : args[2]) : args.Length > 3 ? args[3] : null;

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

if (gc)
{
    var report = await repository.CollectGarbageAsync(new GcOptions { Grace = TimeSpan.Zero, RepackBelow = 0.9 });
    Console.Out.WriteLine($"GC {report.ChunksDead}");
    return 0;
}

var data = TestData.Random(bytes, seed);
if (Environment.GetEnvironmentVariable("CRASH_PREFIX") is { } prefix && prefix.Split(':') is [var prefixSeed, var prefixBytes])
    data = [.. TestData.Random(int.Parse(prefixBytes), ulong.Parse(prefixSeed)), .. data];

var archive = repository.CreateArchive("data");
await archive.AppendStreamAsync(new MemoryStream(data), new FastCdcChunker(new FastCdcOptions { MinSize = 16 << 10, AverageSize = 64 << 10, MaxSize = 256 << 10 }));
var snapshot = await repository.CommitSnapshotAsync(new SnapshotDraft("files", "crash-host", $"seed-{seed}"), [archive]);
Console.Out.WriteLine($"COMMITTED {snapshot.Id}");
return 0;
