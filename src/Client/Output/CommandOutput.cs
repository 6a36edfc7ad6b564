using System.Text.Json;
using System.Text.Json.Nodes;
using Bunker.Client.Files;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Bunker.Client.Output;

/// <summary>
/// Where a command writes. Lists become a table for a person at a terminal and tab-separated lines (no header) for
/// a pipe, so <c>cut -f1</c> and <c>while read</c> work; <c>--json</c> gives one indented JSON document for tools.
/// </summary>
internal sealed class CommandOutput(TextWriter stdout, TextWriter stderr, bool stdoutIsTerminal, bool json)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public TextWriter Out { get; } = stdout;
    public TextWriter Error { get; } = stderr;
    public bool Json { get; } = json;

    public void WriteJson(JsonNode node) => Out.WriteLine(node.ToJsonString(Indented));

    /// <summary>One compact JSON object on one line: for streamed output (ls, diff), where one document would have to be held whole.</summary>
    public void WriteJsonLine(JsonNode node) => Out.WriteLine(node.ToJsonString());

    /// <summary>One record a command made or changed: its JSON with --json, else one line for a person.</summary>
    public void WriteRecord(JsonNode json, string text)
    {
        if (Json) WriteJson(json);
        else Out.WriteLine(text);
    }

    /// <summary>Entries a file command could not back up or restore (in full), each as <c>bunker: warning: PATH: reason</c> on stderr.</summary>
    public void WriteWarnings(IEnumerable<FileWarning> warnings)
    {
        foreach (var warning in warnings) Error.WriteLine($"bunker: warning: {warning.Path}: {warning.Message}");
    }

    /// <summary>A list: a JSON array with --json, else <see cref="WriteTable"/>.</summary>
    public void WriteList<T>(IEnumerable<T> items, Func<T, JsonNode> toJson, IReadOnlyList<string> headers, Func<T, IReadOnlyList<string>> toRow)
    {
        if (Json) WriteJson(new JsonArray(items.Select(i => (JsonNode?)toJson(i)).ToArray()));
        else WriteTable(headers, items.Select(toRow));
    }

    public void WriteTable(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        if (!stdoutIsTerminal)
        {
            // Tabs and newlines inside a value would break the columns; a description is the only free text here.
            foreach (var row in rows) Out.WriteLine(string.Join('\t', row.Select(v => v.Replace('\t', ' ').Replace('\n', ' '))));
            return;
        }
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var header in headers) table.AddColumn(new TableColumn(new Text(header)));
        // Text, not markup: a value holding "[red]" must print as it is.
        foreach (var row in rows) table.AddRow(row.Select(v => (IRenderable)new Text(v)));
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Out) });
        console.Write(table);
    }

    /// <summary>Name-value lines with the values aligned, for one record a person reads.</summary>
    public void WriteFields(IEnumerable<(string Name, string Value)> fields)
    {
        var list = fields.ToList();
        var width = list.Max(f => f.Name.Length) + 1;
        foreach (var (name, value) in list) Out.WriteLine($"{(name + ":").PadRight(width)} {value}");
    }
}
