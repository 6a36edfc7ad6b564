using Bunker.Index;
using Bunker.Storage.Crypto;

namespace Bunker.Server.Hosting;

/// <summary><c>bunkerd [serve] [--data DIR] [--listen HOST:PORT] [--tls-cert F --tls-key F] [--config F]</c>.</summary>
internal static class ServeCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length > 0 && args[0] == "serve") args = args[1..];
        BunkerdOptions options;
        try
        {
            CheckArguments(args);
            options = Bunkerd.ReadOptions(args);
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or FormatException)
        {
            // InvalidDataException: a configuration file that is not valid JSON.
            Console.Error.WriteLine($"bunkerd: {e.Message}{(e is InvalidDataException && e.InnerException is { } inner ? ": " + inner.Message : "")}");
            return 2;
        }
        Bunkerd daemon;
        try
        {
            daemon = Bunkerd.Create(options);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"bunkerd: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException
                                   or BunkerCryptoException or IndexCorruptException or IndexAlreadyOpenException)
        {
            Console.Error.WriteLine($"bunkerd: cannot start: {e.Message}");
            return 1;
        }
        await using (daemon)
        {
            try
            {
                await daemon.RunAsync();
            }
            catch (IOException e)
            {
                Console.Error.WriteLine($"bunkerd: cannot listen on {options.Listen}: {e.Message}");
                return 1;
            }
        }
        return 0;
    }

    /// <summary>Refuses unknown arguments rather than silently ignoring a typo such as --listen.</summary>
    private static void CheckArguments(string[] args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            string name = arg.Contains('=') ? arg[..arg.IndexOf('=')] : arg;
            if (!Bunkerd.SwitchMappings.ContainsKey(name))
                throw new ArgumentException($"unknown argument '{arg}'; usage: bunkerd [serve] [--data DIR] [--listen HOST:PORT] [--tls-cert FILE --tls-key FILE] [--max-sessions N] [--config FILE]");
            if (!arg.Contains('='))
            {
                if (i + 1 >= args.Length) throw new ArgumentException($"{arg} needs a value");
                i++;
            }
        }
    }
}
