namespace Bunker.Bench.Peers;

/// <summary>
/// A backup tool driven through its own command line, with everything it keeps (repository, cache,
/// keys) in one work directory, so that runs never share state and the repository's size is its own.
/// </summary>
internal abstract class ToolCli(string name, string workDirectory, string logPath) : IAsyncDisposable
{
    public string Name { get; } = name;

    /// <summary>How the tool is set up (format, compression, encryption), for the output.</summary>
    public abstract string Settings { get; }

    /// <summary>The directory whose size is the repository's size on disk.</summary>
    public virtual string RepositoryDirectory => Sub("repo");

    /// <summary>A process besides the client that serves the backup (bunkerd), whose memory counts too.</summary>
    public virtual int? DaemonPid => null;

    protected string LogPath => logPath;

    /// <summary>Creates the empty repository (not timed).</summary>
    public abstract Task InitAsync();

    /// <summary>One backup of <paramref name="source"/>; <paramref name="label"/> names it where the tool wants a name.</summary>
    public abstract Task<ToolRun> BackupAsync(string source, string label);

    /// <summary>Restores the latest backup into the empty directory <paramref name="target"/>.</summary>
    public abstract Task<ToolRun> RestoreLatestAsync(string target);

    /// <summary>The tool's version line, for the record.</summary>
    public abstract Task<string> VersionAsync();

    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;

    protected string Sub(string name) => Path.Combine(workDirectory, name);
}
