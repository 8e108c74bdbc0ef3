using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using KeyCustody.Daemon.Configuration;

namespace KeyCustody.Daemon.Hosting;

/// <summary>
/// Command line → configuration, in layers: the embedded simulator's defaults (<c>--simulator</c>), the file
/// (<c>--config FILE</c>), the environment (<c>KEYCUSTODYD_section__setting</c>), the command line
/// (<c>--section:setting=value</c>, <c>--state-dir</c>, <c>--socket</c>). A later layer changes single settings of
/// an earlier one, list entries by index (<c>--keys:1:presence=operator</c> changes the second key).
/// </summary>
public static class ConfigLoader
{
    /// <summary>The prefix the daemon read before it had its own (the CLI's KEYCUSTODY_SOCKET then stopped it).</summary>
    private const string OldEnvironmentPrefix = "KEYCUSTODY_";

    public sealed record Loaded(ValidatedConfig Config, bool Simulator, string? ConfigFile)
    {
        /// <summary>--accept-audit-gap N: the operator accepts the audit-log gap a refused start named with N.</summary>
        public long? AcceptAuditGap { get; init; }

        /// <summary>
        /// Every setting as the layers left it ("keys:1:presence" → "operator"; names compared without case, as the
        /// binder does): what a reload compares to tell which settings changed. Secrets are never in it, only their sources.
        /// </summary>
        public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

        /// <summary>The command line this was loaded from: a reload loads again from it.</summary>
        public DaemonCommandLine? CommandLine { get; init; }

        /// <summary>The SHA-256 (hex) of the configuration file as read, none without a file: a reload's record names the file it applied.</summary>
        public string? FileSha256 { get; init; }
    }

    public static Loaded Load(string[] args) => Load(DaemonCommandLine.Parse(args));

    public static Loaded Load(DaemonCommandLine commandLine)
    {
        var file = commandLine.ConfigFile;
        string? fileSha256 = null;
        var builder = new ConfigurationBuilder();
        if (commandLine.Simulator && file is null)
        {
            var defaults = SimulatorDefaults.Create(commandLine.StateDirectory, commandLine.DemoKeys, prepare: commandLine.Action != DaemonAction.CheckConfig);
            builder.AddJsonStream(new MemoryStream(SimulatorDefaults.ToJson(defaults)));
        }

        if (file is not null)
        {
            fileSha256 = CheckSyntax(file);
            builder.AddJsonFile(Path.GetFullPath(file), optional: false, reloadOnChange: false);
        }

        RefuseOldEnvironment();
        builder.AddEnvironmentVariables(DaemonCommandLine.EnvironmentPrefix);
        var rest = commandLine.Overrides.ToList();
        if (commandLine.Socket is not null)
        {
            rest.Add("--listen:unixSocket=" + commandLine.Socket);
        }

        builder.AddCommandLine([.. rest]);
        if (commandLine.StateDirectory is not null && file is not null)
        {
            builder.AddInMemoryCollection([new("stateDirectory", commandLine.StateDirectory)]);
        }

        IConfigurationRoot configuration;
        try
        {
            configuration = builder.Build();
        }
        catch (Exception e) when (e is InvalidDataException or FormatException)
        {
            // What CheckSyntax cannot see, e.g. a key given twice.
            throw new ConfigException([$"config file {file}: {Innermost(e).Message}"]);
        }

        // A misspelt setting must not silently fall back to its default: every setting given must exist.
        var unknown = new List<string>();
        FindUnknown(configuration, typeof(DaemonConfig), string.Empty, unknown);
        if (unknown.Count > 0)
        {
            throw new ConfigException(unknown);
        }

        var config = new DaemonConfig();
        try
        {
            configuration.Bind(config);
        }
        catch (InvalidOperationException e)
        {
            // The binder names the setting ("Failed to convert configuration value at 'tokens:0:sessions' to type
            // 'System.Int32'."), the innermost exception the value ("The input string 'two' was not in a correct format.").
            var innermost = Innermost(e).Message;
            throw new ConfigException([ReferenceEquals(Innermost(e), e) ? $"configuration: {e.Message}" : $"configuration: {e.Message} {innermost}"]);
        }

        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in configuration.AsEnumerable())
        {
            if (value is not null)
            {
                settings[name] = value;
            }
        }

        return new Loaded(ConfigValidator.Validate(config, file), commandLine.Simulator, file) { AcceptAuditGap = commandLine.AcceptAuditGap, Settings = settings, CommandLine = commandLine, FileSha256 = fileSha256 };
    }

    /// <summary>A file that is not JSON is one error with its line and column, not the parser's stack trace. Returns the file's SHA-256.</summary>
    private static string CheckSyntax(string file)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException([e is FileNotFoundException or DirectoryNotFoundException ? $"config file: {file} does not exist" : $"config file {file}: cannot read it: {e.Message}"]);
        }

        try
        {
            using var document = JsonDocument.Parse(bytes, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ConfigException([$"config file {file}: the top level must be a JSON object {{ ... }}, not {document.RootElement.ValueKind.ToString().ToLowerInvariant()}"]);
            }
        }
        catch (JsonException e)
        {
            // The reader's message ends with its own 0-based position ("LineNumber: 2 | BytePositionInLine: 2."): said once, 1-based.
            var what = e.Message;
            var cut = what.IndexOf(" LineNumber:", StringComparison.Ordinal);
            what = (cut > 0 ? what[..cut] : what).TrimEnd();
            throw new ConfigException([$"config file {file}, line {(e.LineNumber ?? 0) + 1}, column {(e.BytePositionInLine ?? 0) + 1}: {what}"]);
        }

        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
    }

    /// <summary>
    /// KEYCUSTODY_ is the CLI's (KEYCUSTODY_SOCKET) and no longer read. A variable in the daemon's old spelling is
    /// refused rather than ignored: an override that silently stopped applying could loosen a setting.
    /// </summary>
    private static void RefuseOldEnvironment()
    {
        var problems = new List<string>();
        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            var name = (string)variable.Key;
            if (!name.StartsWith(OldEnvironmentPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var setting = name[OldEnvironmentPrefix.Length..];
            var first = setting.Split("__")[0];
            if (typeof(DaemonConfig).GetProperties().Any(p => string.Equals(p.Name, first, StringComparison.OrdinalIgnoreCase)))
            {
                problems.Add($"environment: {name} is the old spelling of a daemon setting; rename it {DaemonCommandLine.EnvironmentPrefix}{setting} (KEYCUSTODY_ variables are the keycustody CLI's)");
            }
        }

        if (problems.Count > 0)
        {
            throw new ConfigException(problems);
        }
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e;
    }

    /// <summary>
    /// Names every setting under <paramref name="section"/> that <paramref name="type"/> has no property for, as
    /// "keys[0].presense", and every setting given in another shape than its property's: a list or an object where one
    /// value belongs ("requireApprover": ["uid:1000"]), one value where a list or an object belongs ("pin": "1234",
    /// --access:0:keys=srv), a list entry that is not numbered. The generated binder binds such a setting as if it were
    /// absent, without an error; the configuration is the access policy, so absent is not what the operator wrote.
    /// </summary>
    [UnconditionalSuppressMessage("Trimming", "IL2062", Justification = "As IL2072 below.")]
    [UnconditionalSuppressMessage("Trimming", "IL2072", Justification = "The nested types are the configuration classes of this assembly, which the daemon's project roots whole for its ahead-of-time build (TrimmerRootAssembly): their properties are all kept.")]
    private static void FindUnknown(IConfiguration section, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] Type type, string path, List<string> unknown)
    {
        foreach (var child in section.GetChildren())
        {
            var property = type.GetProperties().FirstOrDefault(p => string.Equals(p.Name, child.Key, StringComparison.OrdinalIgnoreCase));
            var at = path.Length == 0 ? child.Key : $"{path}.{child.Key}";
            if (property is null)
            {
                unknown.Add($"{at}: no such setting (misspelt?)");
                continue;
            }

            var propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (propertyType.IsGenericType && propertyType.GetGenericTypeDefinition() == typeof(List<>))
            {
                // An empty JSON list reads as an empty value; any other value is one value given for a list.
                if (!string.IsNullOrEmpty(child.Value))
                {
                    unknown.Add($"{at}: a list [...], not one value");
                }

                var element = propertyType.GetGenericArguments()[0];
                foreach (var item in child.GetChildren())
                {
                    var itemAt = $"{at}[{item.Key}]";
                    if (!int.TryParse(item.Key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))
                    {
                        unknown.Add($"{itemAt}: list entries are numbered from 0");
                    }
                    else if (element == typeof(string))
                    {
                        if (item.GetChildren().Any())
                        {
                            unknown.Add($"{itemAt}: one value, not a list or an object");
                        }
                    }
                    else
                    {
                        if (!string.IsNullOrEmpty(item.Value))
                        {
                            unknown.Add($"{itemAt}: an object {{...}}, not one value");
                        }

                        FindUnknown(item, element, itemAt, unknown);
                    }
                }
            }
            else if (propertyType.IsClass && propertyType != typeof(string))
            {
                if (!string.IsNullOrEmpty(child.Value))
                {
                    unknown.Add($"{at}: an object {{...}}, not one value");
                }

                FindUnknown(child, propertyType, at, unknown);
            }
            else if (child.GetChildren().Any())
            {
                unknown.Add($"{at}: one value, not a list or an object");
            }
            else if (string.IsNullOrEmpty(child.Value) && property.PropertyType.IsValueType && Nullable.GetUnderlyingType(property.PropertyType) is null)
            {
                // The generated binder keeps the default for an empty or null number or true/false (the reflection
                // binder made null false or 0): say so rather than guess.
                unknown.Add($"{at}: no value; give one, or leave the setting out for its default");
            }
        }
    }
}
