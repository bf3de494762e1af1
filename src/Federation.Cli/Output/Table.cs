namespace Federation.Cli.Output;

/// <summary>A plain-text table: a header row and left-aligned columns two spaces apart.</summary>
internal sealed class Table
{
    private readonly string[] _headers;
    private readonly List<string[]> _rows = [];

    public Table(params string[] headers)
    {
        _headers = headers;
    }

    public Table Add(params string?[] cells)
    {
        _rows.Add(cells.Select(c => c ?? "-").ToArray());
        return this;
    }

    public void Write(TextWriter output)
    {
        var widths = new int[_headers.Length];
        for (var c = 0; c < widths.Length; c++)
        {
            widths[c] = _headers[c].Length;
            foreach (var row in _rows)
            {
                widths[c] = Math.Max(widths[c], row[c].Length);
            }
        }

        WriteRow(output, _headers, widths);
        foreach (var row in _rows)
        {
            WriteRow(output, row, widths);
        }
    }

    private static void WriteRow(TextWriter output, string[] cells, int[] widths)
    {
        var line = new System.Text.StringBuilder();
        for (var c = 0; c < cells.Length; c++)
        {
            line.Append(c == cells.Length - 1 ? cells[c] : cells[c].PadRight(widths[c] + 2));
        }

        output.WriteLine(line.ToString().TrimEnd());
    }
}
