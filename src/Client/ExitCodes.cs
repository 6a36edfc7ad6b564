namespace Bunker.Client;

/// <summary>What <c>bunker</c> exits with, so scripts can tell "fix the command" from "the server said no".</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The call failed: the server refused it, could not be reached, or ran out of time.</summary>
    public const int Failed = 1;
    /// <summary>The command line or environment was wrong: bad arguments, role, duration or URL, or no token.</summary>
    public const int Usage = 2;
    /// <summary>The command finished, but some files could not be read or written; each one was named on stderr.</summary>
    public const int Incomplete = 3;
    /// <summary><c>bunker check</c> finished and found damaged or missing data (each piece named, with what it affects).</summary>
    public const int DamageFound = 3;
    /// <summary>
    /// <c>bunker pg wal-fetch</c> could not ask the repository (unreachable, refused, misconfigured). Above 125, so
    /// PostgreSQL stops recovery with an error instead of taking it for the end of the archive and promoting early.
    /// </summary>
    public const int StopRecovery = 126;
}
