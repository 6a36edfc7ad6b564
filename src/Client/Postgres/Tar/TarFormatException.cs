namespace Bunker.Client.Postgres.Tar;

/// <summary>A tar stream that is malformed or holds something an extraction refuses; the message names the member and what is wrong.</summary>
public sealed class TarFormatException : Exception
{
    public TarFormatException(string message) : base(message)
    {
    }

    public TarFormatException(string message, Exception inner) : base(message, inner)
    {
    }
}
