using System.CommandLine;
using System.Runtime.InteropServices;
using KeyCustody.HwSim.Applet;
using KeyCustody.HwSim.Control;
using KeyCustody.HwSim.Crypto;
using KeyCustody.HwSim.Touch;
using KeyCustody.HwSim.Transport;

namespace KeyCustody.HwSim.Cli;

/// <summary><c>keycustody-hwsim run</c>: serves one card per <c>--vpcd</c> slot until interrupted.</summary>
internal static class RunCommand
{
    public static Command Build()
    {
        var vpcd = new Option<string[]>("--vpcd")
        {
            Description = "vpcd slot to insert a card into, HOST:PORT (repeat for several cards)",
            Required = true,
            Arity = ArgumentArity.OneOrMore,
        };
        var state = new Option<string[]>("--state") { Description = "state file per card (created 0600), in --vpcd order" };
        var serial = new Option<uint[]>("--serial") { Description = "serial per card; one value numbers further cards N+1, N+2..." };
        var touch = new Option<TouchMode>("--touch") { Description = "button: auto, manual or never", DefaultValueFactory = _ => TouchMode.Auto };
        var touchDelay = new Option<int>("--touch-delay") { Description = "auto mode: milliseconds until the touch", DefaultValueFactory = _ => 200 };
        var touchTimeout = new Option<int>("--touch-timeout") { Description = "milliseconds until an untouched operation fails with 6982", DefaultValueFactory = _ => 15000 };
        var mgm = new Option<string?>("--mgm-algorithm") { Description = "factory management key algorithm: aes192, 3des, aes128, aes256 (default: the profile's, aes192 on 5.7, 3des on 5.4.3)" };
        mgm.AcceptOnlyFromAmong("aes192", "3des", "tdes", "aes128", "aes256");
        var profile = new Option<string>("--profile")
        {
            Description = "the device: yubikey-5.7 (default), yubikey-5.4.3 (OpenPGP Ed25519, no PIV Ed25519), nitrokey-3 (OpenPGP only)",
            DefaultValueFactory = _ => CardProfile.YubiKey57.Name,
        };
        profile.AcceptOnlyFromAmong([.. CardProfile.All.Select(p => p.Name)]);
        var control = new Option<string?>("--control") { Description = "Unix socket for touch/mode/unplug/plug/status" };
        var root = new Option<string?>("--root") { Description = "simulator root CA file (created on first use; default: $XDG_DATA_HOME/keycustody-hwsim/root-ca.json, else under $HOME/.local/share)" };
        var latency = new Option<int>("--latency") { Description = "milliseconds added to every APDU" };
        var verbose = new Option<bool>("--verbose") { Description = "log every APDU header and status word" };

        var command = new Command("run", "Serve virtual YubiKeys (PIV, OpenPGP) or Nitrokey 3s (OpenPGP) behind pcscd's vpcd reader")
        {
            vpcd, state, serial, profile, touch, touchDelay, touchTimeout, mgm, control, root, latency, verbose,
        };
        command.SetAction((result, cancellation) => RunAsync(
            new RunSettings(
                result.GetValue(vpcd)!,
                result.GetValue(state) ?? [],
                result.GetValue(serial) ?? [],
                result.GetValue(touch),
                TimeSpan.FromMilliseconds(result.GetValue(touchDelay)),
                TimeSpan.FromMilliseconds(result.GetValue(touchTimeout)),
                result.GetValue(mgm) is { } algorithm ? ParseAlgorithm(algorithm) : null,
                CardProfile.Parse(result.GetValue(profile)!),
                result.GetValue(control),
                result.GetValue(root) ?? SimulatorRoot.DefaultPath(),
                TimeSpan.FromMilliseconds(result.GetValue(latency)),
                result.GetValue(verbose)),
            cancellation));
        return command;
    }

    internal static ManagementKeyAlgorithm ParseAlgorithm(string name) => name.ToLowerInvariant() switch
    {
        "aes192" => ManagementKeyAlgorithm.Aes192,
        "3des" or "tdes" => ManagementKeyAlgorithm.TripleDes,
        "aes128" => ManagementKeyAlgorithm.Aes128,
        "aes256" => ManagementKeyAlgorithm.Aes256,
        _ => throw new ArgumentException($"unknown management key algorithm '{name}'", nameof(name)),
    };

    private static async Task<int> RunAsync(RunSettings settings, CancellationToken cancellation)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });

        using var root = SimulatorRoot.LoadOrCreate(settings.RootPath);
        var cards = new List<SimulatedCard>();
        ControlServer? server = null;
        try
        {
            for (int i = 0; i < settings.Vpcd.Length; i++)
            {
                var card = VirtualCard.Create(new CardOptions(root)
                {
                    Serial = SerialFor(settings.Serials, i),
                    StatePath = i < settings.States.Length ? settings.States[i] : null,
                    Touch = settings.Touch,
                    AutoTouchDelay = settings.TouchDelay,
                    TouchTimeout = settings.TouchTimeout,
                    ManagementKeyAlgorithm = settings.ManagementKeyAlgorithm,
                    Profile = settings.Profile,
                });
                card.Faults.Latency = settings.Latency;
#pragma warning disable CA2000 // Owned by 'cards' from the next line on, disposed in the finally below.
                var transport = new VpcdTransport(card, VpcdTransport.ParseEndpoint(settings.Vpcd[i]), Log, settings.Verbose);
#pragma warning restore CA2000
                cards.Add(new SimulatedCard(card, transport));
                transport.Start();
                Log($"card {card.Serial} ({card.Profile.Name}) serving vpcd {settings.Vpcd[i]} (touch {settings.Touch})");
            }

            if (settings.ControlPath is { } path)
            {
                server = new ControlServer(path, new ControlHandler(cards));
                Log($"control socket {path}");
            }

            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token);
            }
            catch (OperationCanceledException)
            {
                Log("stopping");
            }

            return 0;
        }
        finally
        {
            server?.Dispose();
            foreach (var (card, transport) in cards)
            {
                transport?.Dispose();
                card.Dispose();
            }
        }
    }

    private static uint? SerialFor(uint[] serials, int index) =>
        serials.Length == 0 ? null
        : index < serials.Length ? serials[index]
        : serials[^1] + (uint)(index - serials.Length + 1);

    private static void Log(string message) => Console.Error.WriteLine("keycustody-hwsim: " + message);

    private sealed record RunSettings(
        string[] Vpcd,
        string[] States,
        uint[] Serials,
        TouchMode Touch,
        TimeSpan TouchDelay,
        TimeSpan TouchTimeout,
        ManagementKeyAlgorithm? ManagementKeyAlgorithm,
        CardProfile Profile,
        string? ControlPath,
        string RootPath,
        TimeSpan Latency,
        bool Verbose);
}
