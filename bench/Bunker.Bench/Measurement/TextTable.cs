using System.Text;

namespace Bunker.Bench.Measurement;

/// <summary>A plain-text table: the first column and a "note" column left-aligned, figures right-aligned.</summary>
internal sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public void Add(params string[] cells)
    {
        if (cells.Length != headers.Length)
            throw new ArgumentException($"expected {headers.Length} cells, got {cells.Length}", nameof(cells));
        _rows.Add(cells);
    }

    public override string ToString()
    {
        var widths = new int[headers.Length];
        foreach (var row in _rows.Prepend(headers))
            for (int c = 0; c < row.Length; c++)
                widths[c] = Math.Max(widths[c], row[c].Length);

        var text = new StringBuilder();
        AppendRow(text, headers, widths, headers);
        text.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in _rows)
            AppendRow(text, row, widths, headers);
        return text.ToString();
    }

    private static void AppendRow(StringBuilder text, string[] row, int[] widths, string[] headers)
    {
        for (int c = 0; c < row.Length; c++)
        {
            if (c > 0) text.Append("  ");
            bool textColumn = c == 0 || headers[c] == "note";
            text.Append(textColumn ? row[c].PadRight(widths[c]) : row[c].PadLeft(widths[c]));
        }
        // A padded last text column would leave trailing blanks on every line.
        while (text.Length > 0 && text[^1] == ' ')
            text.Length--;
        text.AppendLine();
    }
}
