namespace Bunker.Client;

/// <summary>
/// The command was well formed but cannot do what it was asked on this data: a path that is not in the
/// snapshot, a directory given to dump, a snapshot of another kind. The CLI prints the message alone (no
/// exception type, no status code) and exits with <see cref="ExitCodes.Failed"/>.
/// </summary>
public sealed class CommandFailedException(string message) : Exception(message);
