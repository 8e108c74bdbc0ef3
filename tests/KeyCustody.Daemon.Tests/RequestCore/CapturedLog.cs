using Microsoft.Extensions.Logging;

namespace KeyCustody.Daemon.Tests.RequestCore;

/// <summary>
/// A logger that keeps what the daemon logged, as the journal would get it: the event id, the level, the rendered line and
/// the template's properties (KEYCUSTODY_RESULT=... is the {Result} property).
/// </summary>
internal sealed class CapturedLog<T> : ILogger<T>
{
    private readonly List<LogLine> _lines = [];

    public IReadOnlyList<LogLine> Lines
    {
        get
        {
            lock (_lines)
            {
                return _lines.ToList();
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var properties = state is IEnumerable<KeyValuePair<string, object?>> pairs
            ? pairs.ToDictionary(p => p.Key, p => p.Value?.ToString(), StringComparer.Ordinal)
            : [];
        lock (_lines)
        {
            _lines.Add(new LogLine(eventId.Id, logLevel, formatter(state, exception), properties));
        }
    }
}

/// <summary>One line of a <see cref="CapturedLog{T}"/>.</summary>
internal sealed record LogLine(int EventId, LogLevel Level, string Message, IReadOnlyDictionary<string, string?> Properties);
