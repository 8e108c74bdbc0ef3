namespace KeyCustody.HwSim.Control;

/// <summary>
/// One control request: a verb and key=value arguments on one line, e.g. <c>mode manual timeout=5000 serial=123</c>.
/// </summary>
public sealed class ControlRequest
{
    public ControlRequest(string verb, IReadOnlyDictionary<string, string> arguments)
    {
        Verb = verb;
        Arguments = arguments;
    }

    public string Verb { get; }
    public IReadOnlyDictionary<string, string> Arguments { get; }

    public static ControlRequest Parse(string line)
    {
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length == 0)
        {
            throw new FormatException("empty request");
        }

        var arguments = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var word in words.Skip(1))
        {
            int equals = word.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                arguments[word] = "";
            }
            else
            {
                arguments[word[..equals]] = word[(equals + 1)..];
            }
        }

        return new ControlRequest(words[0], arguments);
    }

    public string Format() =>
        string.Join(' ', new[] { Verb }.Concat(Arguments.Select(a => a.Value.Length == 0 ? a.Key : $"{a.Key}={a.Value}")));

    public uint? Serial => Arguments.TryGetValue("serial", out var s) ? uint.Parse(s) : null;

    public TimeSpan? Milliseconds(string name) =>
        Arguments.TryGetValue(name, out var v) ? TimeSpan.FromMilliseconds(int.Parse(v)) : null;
}
