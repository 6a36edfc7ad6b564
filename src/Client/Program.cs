// bunker, the thin client. The network commands arrive with the gRPC issue; until then it only
// says so, rather than pretending to back anything up.
Console.Error.WriteLine("bunker: the client commands are not built yet; see README.md");
return 1;
