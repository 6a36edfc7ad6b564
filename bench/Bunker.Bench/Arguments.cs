namespace Bunker.Bench;

/// <summary>The command line after the command name: positional values and `--name value` options.</summary>
internal sealed class Arguments
{
    private readonly Dictionary<string, string> _options = new(StringComparer.Ordinal);
    private readonly List<string> _positional = [];

    public Arguments(IEnumerable<string> args)
    {
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            if (e.Current.StartsWith("--", StringComparison.Ordinal))
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

    public bool Has(string name) => _options.ContainsKey(name);
}

internal sealed class UsageException(string message) : Exception(message);
