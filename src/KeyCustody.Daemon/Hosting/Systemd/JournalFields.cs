using System.Globalization;
using System.Text;
using Serilog.Events;
using Serilog.Formatting.Display;

namespace KeyCustody.Daemon.Hosting.Systemd;

/// <summary>
/// A Serilog event as journal fields (systemd.journal-fields(7)): MESSAGE, PRIORITY, SYSLOG_IDENTIFIER, and each property
/// of the message template as KEYCUSTODY_NAME (RequestId → KEYCUSTODY_REQUEST_ID, Result → KEYCUSTODY_RESULT), so
/// <c>journalctl -u keycustodyd KEYCUSTODY_RESULT=refused_policy</c> selects on them. The properties are those the
/// console and the log file show already: templates carry names, ids and hashes, never a payload or a secret.
/// </summary>
internal static class JournalFields
{
    public const string Identifier = "keycustodyd";
    public const string Prefix = "KEYCUSTODY_";

    /// <summary>Journal field names hold A-Z, 0-9 and '_', start with a letter, and stay within 64 characters.</summary>
    private const int MaxName = 64;

    /// <summary>The message as the console shows it: strings as they are, not quoted.</summary>
    private static readonly MessageTemplateTextFormatter Message = new("{Message:lj}", CultureInfo.InvariantCulture);

    public static List<KeyValuePair<string, string>> Of(LogEvent e, IFormatProvider format)
    {
        using var message = new StringWriter(format);
        Message.Format(e, message);
        if (e.Exception is not null)
        {
            message.Write('\n');
            message.Write(e.Exception.ToString());
        }

        var fields = new List<KeyValuePair<string, string>>
        {
            new("MESSAGE", message.ToString()),
            new("PRIORITY", Priority(e.Level)),
            new("SYSLOG_IDENTIFIER", Identifier),
        };
        foreach (var (name, value) in e.Properties)
        {
            fields.Add(new(Prefix + Name(name), Text(name, value, format)));
        }

        return fields;
    }

    /// <summary>syslog(3) levels, as journalctl -p reads them.</summary>
    public static string Priority(LogEventLevel level) => level switch
    {
        LogEventLevel.Fatal => "2",
        LogEventLevel.Error => "3",
        LogEventLevel.Warning => "4",
        LogEventLevel.Information => "6",
        _ => "7",
    };

    /// <summary>PascalCase or camelCase → UPPER_SNAKE: "RequestId" → "REQUEST_ID", "PayloadSha256" → "PAYLOAD_SHA256".</summary>
    public static string Name(string property)
    {
        var name = new StringBuilder(property.Length + 8);
        for (var i = 0; i < property.Length; i++)
        {
            var c = property[i];
            if (char.IsUpper(c) && i > 0 && (char.IsLower(property[i - 1]) || char.IsDigit(property[i - 1])))
            {
                name.Append('_');
            }

            name.Append(c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') ? char.ToUpperInvariant(c) : '_');
        }

        var text = name.ToString();
        return text.Length > MaxName - Prefix.Length ? text[..(MaxName - Prefix.Length)] : text;
    }

    /// <summary>A string as itself (no quotes); Microsoft.Extensions.Logging's EventId as its number; anything else as rendered.</summary>
    private static string Text(string name, LogEventPropertyValue value, IFormatProvider format) => value switch
    {
        ScalarValue { Value: string s } => s,
        ScalarValue { Value: null } => string.Empty,
        ScalarValue { Value: IFormattable f } => f.ToString(null, format),
        ScalarValue scalar => scalar.Value.ToString() ?? string.Empty,
        StructureValue structure when name == "EventId" && structure.Properties.FirstOrDefault(p => p.Name == "Id")?.Value is ScalarValue id => Text("Id", id, format),
        _ => value.ToString(null, format),
    };
}
