using Bunker.Bench;
using Bunker.Bench.Files;
using Bunker.Bench.IndexLookups;
using Bunker.Bench.Ingest;
using Bunker.Bench.Loopback;
using Bunker.Bench.Peers;
using Bunker.Bench.Stages;

const string Usage = """
    usage: Bunker.Bench <command> [args]
      stages [--size MiB]               per-stage single-thread throughput on an in-memory sample (default 256)
      ingest DIR [--threads N]          the whole write path over DIR; default runs 1 and then 2 threads
      index --chunks N                  fill a fresh index with N entries, then MultiGet lookups/s and RSS
      peers DIR                         Bunker vs restic vs borg on DIR, first and second (all-dedup) backup
      loopback [--size GiB] [--streams 1,4,16] [--iterations K] [--bunkerd PATH]
                                        a real bunkerd and this client over 127.0.0.1: upload, re-upload (dedup), restore over N streams
      files [--data DIR] [--keep] [--runs N] [--tools bunker,restic,borg] [--sources DIR,DIR] [--seed N] [--json FILE] [--bunker PATH] [--bunkerd PATH]
                                        bunker (bunkerd + CLI), restic and borg on a copy of /usr/share/dotnet and /usr/lib/x86_64-linux-gnu:
                                        initial, no-change and changed (5%) backup, restore (verified), repository size, CPU, peak RSS;
                                        --runs N: N fresh runs, the median of each figure
    """;

if (args.Length == 0)
{
    Console.Error.WriteLine(Usage);
    return 2;
}

try
{
    var rest = new Arguments(args.Skip(1), switches: new HashSet<string>(["--keep"]));
    return args[0] switch
    {
        "stages" => StagesCommand.Run(rest),
        "ingest" => await IngestCommand.RunAsync(rest),
        "index" => IndexCommand.Run(rest),
        "peers" => await PeersCommand.RunAsync(rest),
        "loopback" => await LoopbackCommand.RunAsync(rest),
        "files" => await FilesCommand.RunAsync(rest),
        _ => throw new UsageException($"unknown command '{args[0]}'"),
    };
}
catch (UsageException e)
{
    Console.Error.WriteLine($"error: {e.Message}\n\n{Usage}");
    return 2;
}
