using System.Reflection;
using KeyCustody.Daemon.Configuration;
using KeyCustody.Daemon.Hosting;
using Serilog;

// keycustodyd: see Hosting/DaemonHost.cs for the composition and Hosting/DaemonCommandLine.cs for the options.
// Exit codes: 0 stopped cleanly (or --check-config found nothing wrong), 1 failed while running, 2 refused to start
// (configuration, permissions, secrets, audit log, socket; or --check-config found a problem).
StartupHangup.Hold();
NativeHeap.LimitArenas();
Log.Logger = new LoggerConfiguration().WriteTo.Console(formatProvider: System.Globalization.CultureInfo.InvariantCulture).CreateBootstrapLogger();
try
{
    var commandLine = DaemonCommandLine.Parse(args);
    switch (commandLine.Action)
    {
        case DaemonAction.Help:
            Console.Out.WriteLine(DaemonCommandLine.Help);
            return 0;
        case DaemonAction.Version:
            Console.Out.WriteLine("keycustodyd " + (typeof(DaemonHost).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown")
                + " (.NET " + Environment.Version + ")");
            return 0;
    }

    var loaded = ConfigLoader.Load(commandLine);
    if (commandLine.Action == DaemonAction.CheckConfig)
    {
        return ConfigCheck.Run(loaded, Console.Out, Console.Error);
    }

    await using var host = await DaemonHost.StartAsync(loaded, CancellationToken.None).ConfigureAwait(false);
    await host.App.WaitForShutdownAsync().ConfigureAwait(false);
    return 0;
}
catch (ConfigException e)
{
    Console.Error.WriteLine("error: " + e.Message);
    return 2;
}
catch (DaemonStartException e)
{
    Console.Error.WriteLine("error: " + e.Message);
    return 2;
}
catch (Exception e)
{
    Log.Fatal(e, "keycustodyd stopped after an unexpected error");
    return 1;
}
finally
{
    await Log.CloseAndFlushAsync().ConfigureAwait(false);
}
