using Bunker.Client;

// bunker, the thin client. All the work is in Cli so that tests can run it in-process.
return await Cli.RunAsync(args, Console.Out, Console.Error, Environment.GetEnvironmentVariable);
