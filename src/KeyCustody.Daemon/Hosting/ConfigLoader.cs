using KeyCustody.Daemon.Configuration;

namespace KeyCustody.Daemon.Hosting;

/// <summary>
/// Command line → configuration: <c>--config FILE</c>, <c>--simulator [--no-demo-keys]</c>, <c>--state-dir DIR</c>,
/// <c>--socket PATH</c>, and any setting as <c>--section:setting=value</c>; the environment overrides
/// the file with <c>KEYCUSTODY_section__setting</c>. The command line wins over both.
/// </summary>
public static class ConfigLoader
{
    public sealed record Loaded(ValidatedConfig Config, bool Simulator, string? ConfigFile);

    public static Loaded Load(string[] args)
    {
        string? file = null;
        var simulator = false;
        var demoKeys = true;
        string? stateDir = null;
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--config" when i + 1 < args.Length:
                    file = args[++i];
                    break;
                case "--simulator":
                    simulator = true;
                    break;
                case "--no-demo-keys":
                    demoKeys = false;
                    break;
                case "--state-dir" when i + 1 < args.Length:
                    stateDir = args[++i];
                    break;
                case "--socket" when i + 1 < args.Length:
                    rest.Add("--listen:unixSocket=" + args[++i]);
                    break;
                default:
                    if (!args[i].StartsWith("--", StringComparison.Ordinal) || !args[i].Contains('=', StringComparison.Ordinal))
                    {
                        throw new ConfigException([$"command line: '{args[i]}' is not understood (use --config FILE, --simulator, --state-dir DIR, --socket PATH or --section:setting=value)"]);
                    }

                    rest.Add(args[i]);
                    break;
            }
        }

        if (file is null && !simulator)
        {
            throw new ConfigException(["command line: give --config FILE, or --simulator for the embedded demo on a simulated YubiKey"]);
        }

        var config = new DaemonConfig();
        if (simulator && file is null)
        {
            config = SimulatorDefaults.Create(stateDir ?? SimulatorDefaults.DefaultStateDirectory(), demoKeys);
        }

        var builder = new ConfigurationBuilder();
        if (file is not null)
        {
            if (!File.Exists(file))
            {
                throw new ConfigException([$"config file: {file} does not exist"]);
            }

            builder.AddJsonFile(Path.GetFullPath(file), optional: false, reloadOnChange: false);
        }

        builder.AddEnvironmentVariables("KEYCUSTODY_");
        builder.AddCommandLine([.. rest]);
        if (stateDir is not null)
        {
            builder.AddInMemoryCollection([new("stateDirectory", stateDir)]);
        }

        var configuration = builder.Build();

        // A misspelt setting must not silently fall back to its default: every setting given must exist.
        var unknown = new List<string>();
        FindUnknown(configuration, typeof(DaemonConfig), string.Empty, unknown);
        if (unknown.Count > 0)
        {
            throw new ConfigException(unknown);
        }

        try
        {
            configuration.Bind(config);
        }
        catch (InvalidOperationException e)
        {
            throw new ConfigException([$"configuration: {e.Message}"]);
        }

        return new Loaded(ConfigValidator.Validate(config, file), simulator, file);
    }

    /// <summary>Names every setting under <paramref name="section"/> that <paramref name="type"/> has no property for, as "keys[0].presense".</summary>
    private static void FindUnknown(IConfiguration section, Type type, string path, List<string> unknown)
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
                var element = propertyType.GetGenericArguments()[0];
                if (element != typeof(string))
                {
                    foreach (var item in child.GetChildren())
                    {
                        FindUnknown(item, element, $"{at}[{item.Key}]", unknown);
                    }
                }
            }
            else if (propertyType.IsClass && propertyType != typeof(string))
            {
                FindUnknown(child, propertyType, at, unknown);
            }
        }
    }
}
