using KeyCustody.Daemon.Configuration;
using KeyCustody.Daemon.Hosting;
using Serilog;

// keycustodyd: see Hosting/DaemonHost.cs for the composition. Exit codes: 0 stopped cleanly,
// 1 failed while running, 2 refused to start (configuration, permissions, audit log).
Log.Logger = new LoggerConfiguration().WriteTo.Console(formatProvider: System.Globalization.CultureInfo.InvariantCulture).CreateBootstrapLogger();
try
{
    var loaded = ConfigLoader.Load(args);
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
