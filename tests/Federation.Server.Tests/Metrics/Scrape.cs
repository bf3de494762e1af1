using System.Globalization;
using System.Text.RegularExpressions;

namespace Federation.Server.Tests.Metrics;

/// <summary>One sample of a Prometheus text exposition: a series name, its labels and its value.</summary>
internal sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public string this[string label] => Labels.TryGetValue(label, out var value) ? value : "";
}

/// <summary>A scrape of <c>/metrics</c> parsed into its samples and metric families (the <c># TYPE</c> lines).</summary>
internal sealed partial class Scrape
{
    private Scrape(string text, IReadOnlyList<Sample> samples, IReadOnlyDictionary<string, string> types)
    {
        Text = text;
        Samples = samples;
        Types = types;
    }

    public string Text { get; }

    public IReadOnlyList<Sample> Samples { get; }

    /// <summary>Metric family name to its type (counter, gauge, histogram).</summary>
    public IReadOnlyDictionary<string, string> Types { get; }

    /// <summary>Every series name sampled (a histogram's <c>_bucket</c>, <c>_sum</c> and <c>_count</c> each).</summary>
    public IReadOnlySet<string> Names => Samples.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);

    public static async Task<Scrape> ReadAsync(ServerHost server)
    {
        using var response = await server.Client.GetAsync("metrics");
        Assert.True(response.IsSuccessStatusCode, $"GET /metrics: {(int)response.StatusCode}");
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        return Parse(await response.Content.ReadAsStringAsync());
    }

    public static Scrape Parse(string text)
    {
        var samples = new List<Sample>();
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                types[parts[2]] = parts[3];
                continue;
            }

            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var match = SampleLine().Match(line);
            Assert.True(match.Success, $"not a sample line: {line}");
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match label in LabelPair().Matches(match.Groups["labels"].Value))
            {
                labels[label.Groups[1].Value] = label.Groups[2].Value.Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
            }

            samples.Add(new Sample(match.Groups["name"].Value, labels, double.Parse(match.Groups["value"].Value, NumberStyles.Float, CultureInfo.InvariantCulture)));
        }

        return new Scrape(text, samples, types);
    }

    /// <summary>The samples of one series name whose labels include every given pair.</summary>
    public IReadOnlyList<Sample> Of(string name, params (string Label, string Value)[] labels) =>
        [.. Samples.Where(s => s.Name == name && labels.All(l => s[l.Label] == l.Value))];

    /// <summary>The value of the one sample of <paramref name="name"/> with the given labels (fails unless exactly one).</summary>
    public double Value(string name, params (string Label, string Value)[] labels)
    {
        var matching = Of(name, labels);
        Assert.True(matching.Count == 1, $"{matching.Count} samples of {name} {string.Join(",", labels)}; the scrape has:\n{string.Join("\n", Samples.Where(s => s.Name == name))}");
        return matching[0].Value;
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)( \S+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\.)*)""", RegexOptions.CultureInvariant)]
    private static partial Regex LabelPair();
}
