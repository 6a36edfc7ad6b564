using Bunker.Server;
using Bunker.Server.Hosting;

// bunkerd: with no command it serves (see Bunkerd); the commands below act on a data directory
// directly, for an operator on the machine while the daemon is stopped.
if (args.Length > 0 && args[0] == "recover")
    return await Recovery.RunAsync(args);
if (Array.IndexOf(args, "repair") >= 0)
    return await Repair.RunAsync(args);
string[] localCommands = ["init", "backup-file", "restore-file", "snapshots", "check", "rebuild-index", "-h", "--help"];
foreach (var arg in args)
{
    if (Array.IndexOf(localCommands, arg) >= 0)
        return await LocalCommands.RunAsync(args);
}
return await ServeCommand.RunAsync(args);
