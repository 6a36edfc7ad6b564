namespace Bunker.Client.Files.Backup;

/// <summary>The <c>--exclude</c> patterns and the lines of every <c>--exclude-file</c>; a path matching any one is left out.</summary>
internal sealed class ExcludeFilter
{
    private readonly ExcludePattern[] _patterns;

    private ExcludeFilter(ExcludePattern[] patterns) => _patterns = patterns;

    public bool IsEmpty => _patterns.Length == 0;

    /// <summary>
    /// Builds the filter. An exclude file holds one pattern per line; blank lines and lines starting with '#' are
    /// skipped, and surrounding whitespace is trimmed.
    /// </summary>
    /// <exception cref="ArgumentException">A pattern is malformed or an exclude file cannot be read; the message says which.</exception>
    public static ExcludeFilter Create(IEnumerable<string> patterns, IEnumerable<string> files)
    {
        var all = new List<ExcludePattern>();
        foreach (var pattern in patterns) all.Add(new ExcludePattern(pattern));
        foreach (var file in files)
        {
            string[] lines;
            try
            {
                lines = File.ReadAllLines(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ArgumentException($"exclude file '{file}' cannot be read: {e.Message}", e);
            }
            for (int i = 0; i < lines.Length; i++)
            {
                var line = lines[i].Trim();
                if (line.Length == 0 || line[0] == '#') continue;
                try
                {
                    all.Add(new ExcludePattern(line));
                }
                catch (ArgumentException e)
                {
                    throw new ArgumentException($"exclude file '{file}', line {i + 1}: {e.Message}", e);
                }
            }
        }
        return new ExcludeFilter([.. all]);
    }

    /// <param name="absolutePath">The absolute path, starting with '/'.</param>
    /// <param name="name">Its last component.</param>
    public bool IsExcluded(ReadOnlySpan<byte> absolutePath, ReadOnlySpan<byte> name)
    {
        foreach (var pattern in _patterns)
        {
            if (pattern.Matches(absolutePath, name)) return true;
        }
        return false;
    }
}
