using System.CommandLine;
using System.Runtime.InteropServices;
using KeyCustody.HomeserverSim;

// keycustody-homeserver-sim: a simulator of the parts of the Matrix client-server API KeyCustody uses. It is not a
// homeserver (see homeserver-sim/README.md). It prints one line with its URL, then serves until stopped.
var bind = new Option<string>("--bind") { Description = "address to listen on (loopback unless you mean otherwise)", DefaultValueFactory = _ => "127.0.0.1" };
var port = new Option<int>("--port") { Description = "port to listen on; 0 picks a free one", DefaultValueFactory = _ => 0 };
var uia = new Option<string>("--uia") { Description = "how replacing cross-signing keys is authenticated: password, oauth, oauth-unstable", DefaultValueFactory = _ => "password" };
uia.AcceptOnlyFromAmong("password", "oauth", "oauth-unstable");
var preload = new Option<string[]>("--preload") { Description = "a JSON state to start from: users with tokens, devices, cross-signing keys, signature uploads, account data, rooms (see examples/migration/premade-identity.json); repeatable, applied in order" };
var root = new RootCommand("keycustody-homeserver-sim: a simulator (not a homeserver) of the Matrix client-server API parts KeyCustody uses: " +
    "account data, /keys/upload, /keys/query, /keys/device_signing/upload with user-interactive auth, /keys/signatures/upload. " +
    "Access tokens come from POST /_keycustody_sim/v1/register {\"user_id\", \"password\"}.")
{
    bind, port, uia, preload,
};
root.SetAction(async (r, invocation) =>
{
    // SIGTERM (a service manager, a test) and Ctrl+C stop it cleanly, exit code 0.
    using var stop = CancellationTokenSource.CreateLinkedTokenSource(invocation);
    void Stop(PosixSignalContext context)
    {
        context.Cancel = true;
        stop.Cancel();
    }

    using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
    using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
    var ct = stop.Token;
    await using var simulator = await HomeserverSimulator.StartAsync(r.GetValue(bind)!, r.GetValue(port), ct);
    simulator.Stage = r.GetValue(uia) switch
    {
        "oauth" => UiaStage.OAuth,
        "oauth-unstable" => UiaStage.OAuthUnstable,
        _ => UiaStage.Password,
    };
    foreach (var file in r.GetValue(preload) ?? [])
    {
        Preload.Apply(simulator, KeyCustody.Matrix.Json.CanonicalJson.ParseObject(await File.ReadAllBytesAsync(file, ct)));
    }

    Console.Out.WriteLine($"keycustody-homeserver-sim listening on {simulator.Url} (a simulator, not a homeserver; nothing is kept)");
    Console.Out.Flush();
    try
    {
        await Task.Delay(Timeout.Infinite, ct);
    }
    catch (OperationCanceledException)
    {
        // Ctrl+C or SIGTERM: stop.
    }

    return 0;
});
return await root.Parse(args).InvokeAsync();
