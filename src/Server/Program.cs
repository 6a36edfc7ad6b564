using Bunker.Server;

// bunkerd. The gRPC service arrives with the protocol issue; until then it exposes the repository
// core to operators on the local machine: initialise a data directory, back up and restore files
// through the real pack/index/crypto path, list, check and rebuild.
return await LocalCommands.RunAsync(args);
