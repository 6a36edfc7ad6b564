namespace Bunker.Bench;

/// <summary>
/// The command line after the command name: positional values, `--name value` options, and the
/// switches named in <paramref name="switches"/> (`--keep`), which take no value.
/// </summary>
internal sealed class Arguments
{
    private readonly Dictionary<string, string> _options = new(StringComparer.Ordinal);
    private readonly List<string> _positional = [];

    public Arguments(IEnumerable<string> args, IReadOnlySet<string>? switches = null)
    {
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            if (switches?.Contains(e.Current) == true)
            {
                _options[e.Current] = "";
            }
            else if (e.Current.StartsWith("--", StringComparison.Ordinal))
            {
                string name = e.Current;
                _options[name] = e.MoveNext() ? e.Current : throw new UsageException($"{name} needs a value");
            }
            else
            {
                _positional.Add(e.Current);
            }
        }
    }

    public string Positional(int index, string what) =>
        index < _positional.Count ? _positional[index] : throw new UsageException($"missing {what}");

    public int Int(string name, int fallback) => (int)Long(name, fallback);

    public long Long(string name, long fallback)
    {
        if (!_options.TryGetValue(name, out var text))
            return fallback;
        return long.TryParse(text, out long value) && value > 0
            ? value
            : throw new UsageException($"{name} wants a positive whole number, got '{text}'");
    }

    /// <summary>A comma-separated list of positive whole numbers, e.g. `--streams 1,4,16`.</summary>
    public int[] Ints(string name, int[] fallback)
    {
        if (!_options.TryGetValue(name, out var text))
            return fallback;
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var values = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], out values[i]) || values[i] <= 0)
                throw new UsageException($"{name} wants positive whole numbers separated by commas, got '{text}'");
        }
        return values.Length > 0 ? values : throw new UsageException($"{name} needs at least one number");
    }

    public string? Text(string name) => _options.TryGetValue(name, out var text) ? text : null;

    /// <summary>A comma-separated list, e.g. `--tools restic,borg`.</summary>
    public string[] Texts(string name, string[] fallback) =>
        _options.TryGetValue(name, out var text)
            ? text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) is { Length: > 0 } parts
                ? parts
                : throw new UsageException($"{name} needs at least one value")
            : fallback;

    public bool Has(string name) => _options.ContainsKey(name);
}

internal sealed class UsageException(string message) : Exception(message);
