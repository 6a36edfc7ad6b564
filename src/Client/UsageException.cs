namespace Bunker.Client;

/// <summary>
/// The command line or the environment asks for something that cannot be done as given (a bad URL, a missing
/// token, an unknown role). The CLI prints the message and exits with 2, so scripts can tell it from a server failure.
/// </summary>
public sealed class UsageException(string message) : Exception(message);
