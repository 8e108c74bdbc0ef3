using System.Globalization;
using System.Text.RegularExpressions;

namespace KeyCustody.Daemon.Tests.Metrics;

/// <summary>One sample of Prometheus' text exposition format: name, labels, value.</summary>
internal sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>
/// Prometheus' text exposition format (version 0.0.4), read as a scraper reads it: # HELP and # TYPE lines, then one
/// sample a line, <c>name{label="value",...} value</c>, label values with \\, \" and \n escaped.
/// </summary>
internal sealed partial class Exposition
{
    private Exposition(List<Sample> samples, Dictionary<string, string> types)
    {
        Samples = samples;
        Types = types;
    }

    public IReadOnlyList<Sample> Samples { get; }

    /// <summary>Family name → counter, gauge, histogram...</summary>
    public IReadOnlyDictionary<string, string> Types { get; }

    public static Exposition Parse(string text)
    {
        var samples = new List<Sample>();
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                types[parts[2]] = parts[3];
                continue;
            }

            if (line.StartsWith('#'))
            {
                continue;
            }

            var m = SampleLine().Match(line);
            if (!m.Success)
            {
                throw new FormatException($"not a sample line: {line}");
            }

            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match l in LabelPair().Matches(m.Groups["labels"].Value))
            {
                labels[l.Groups[1].Value] = l.Groups[2].Value.Replace("\\n", "\n", StringComparison.Ordinal).Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
            }

            var value = m.Groups["value"].Value switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                var v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            samples.Add(new Sample(m.Groups["name"].Value, labels, value));
        }

        return new Exposition(samples, types);
    }

    /// <summary>The samples named <paramref name="name"/> whose labels include every pair given ("key=srv").</summary>
    public List<Sample> Find(string name, params string[] labels) => Samples.Where(s => s.Name == name && labels.All(l =>
    {
        var eq = l.IndexOf('=', StringComparison.Ordinal);
        return s.Labels.TryGetValue(l[..eq], out var v) && v == l[(eq + 1)..];
    })).ToList();

    /// <summary>The one sample named <paramref name="name"/> with these labels (0 when there is none: a counter not yet incremented).</summary>
    public double Value(string name, params string[] labels)
    {
        var found = Find(name, labels);
        return found.Count switch
        {
            0 => 0,
            1 => found[0].Value,
            _ => throw new InvalidOperationException($"{found.Count} samples of {name} with {string.Join(",", labels)}"),
        };
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)(\s+\d+)?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\.)*)""")]
    private static partial Regex LabelPair();
}
