using System.Text.Json;
using KeyCustody.Contract;
using KeyCustody.Daemon.Configuration;
using KeyCustody.HwSim.Crypto;

namespace KeyCustody.Daemon.Hosting;

/// <summary>
/// The embedded default (<c>--simulator</c>): two in-process simulated YubiKeys 5.7 with automatic
/// touch, demo keys for @demo:localhost (master alone on the first card in 9c; self-signing in 9a and
/// user-signing in 9d on the second; <c>--no-demo-keys</c> leaves the cards blank), the
/// card's well-known default PIN and management key in 0600 files, and every right for the user who
/// runs it. For demos and CI only: the keys live in a software simulation.
/// </summary>
/// <remarks>
/// Without a state directory it lives where the CLI looks for it (<see cref="DaemonSockets.Simulator"/>) and its
/// cards' attestations chain to hw-sim's per-user root, so `keycustody` and `keycustody-hwsim root-cert` need no
/// flags. With one, everything (the root included) is in that directory, isolated from other runs.
/// </remarks>
public static class SimulatorDefaults
{
    public const string DemoUser = "@demo:localhost";
    public const uint Serial = 10_000_001;

    /// <summary>The defaults as the configuration's first layer: JSON in the file's spelling, nulls left out.</summary>
    public static byte[] ToJson(DaemonConfig defaults) => JsonSerializer.SerializeToUtf8Bytes(defaults, SimulatorDefaultsJson.Default.DaemonConfig);

    /// <param name="stateDirectory">Where the cards, the audit log and the socket live; null for the per-user default.</param>
    /// <param name="demoKeys">Generate the demo keys at first start; without, the cards start blank for `keycustody provision`.</param>
    /// <param name="prepare">
    /// Create the state directory and the PIN and management-key files when missing (a start). --check-config changes
    /// nothing: a file not there yet is left out of the configuration, and the check says the first start makes it.
    /// </param>
    public static DaemonConfig Create(string? stateDirectory, bool demoKeys = true, bool prepare = true)
    {
        var state = Path.GetFullPath(stateDirectory ?? DaemonSockets.FindSimulatorStateDirectory(out var none)
            ?? throw new ConfigException([$"{none}: give --state-dir DIR (a directory of your own) for the simulator's cards, root CA, audit log and socket"]));
        var root = stateDirectory is null
            ? SimulatorRoot.FindDefaultPath(out var noRoot) ?? throw new ConfigException([$"{noRoot}: give --state-dir DIR (a directory of your own), which keeps the simulator's root CA too"])
            : null;
        try
        {
            if (prepare)
            {
                Prepare(state);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException([$"simulator state directory {state}: {e.Message} (is it another user's? --state-dir DIR chooses another)"]);
        }

        return new DaemonConfig
        {
            StateDirectory = state,
            SimulatorRoot = root,
            Listen = new ListenConfig { UnixSocket = Path.Combine(state, DaemonSockets.SocketFileName), SocketMode = "0600" },
            Tokens =
            [
                SimulatedCard(state, "sim-master", Serial, demoKeys),
                SimulatedCard(state, "sim-daily", Serial + 1, demoKeys),
            ],
            Keys =
            [
                new KeyConfig { Name = "demo-master", Token = "sim-master", KeyId = "9c", Role = "master", Owner = DemoUser },
                new KeyConfig { Name = "demo-ssk", Token = "sim-daily", KeyId = "9a", Role = "self_signing", Owner = DemoUser },
                new KeyConfig { Name = "demo-usk", Token = "sim-daily", KeyId = "9d", Role = "user_signing", Owner = DemoUser },
            ],
            Access =
            [
                new AccessRuleConfig { Principal = $"uid:{Posix.EffectiveUid}", Keys = ["*"], Operations = ["sign", "approve", "admin"] },
            ],
        };
    }

    private static TokenConfig SimulatedCard(string state, string name, uint serial, bool demoKeys) => new()
    {
        Name = name,
        Kind = "simulator",
        Serial = serial.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Touch = "auto",
        TouchDelayMs = 300,
        DemoKeys = demoKeys,
        StateFile = Path.Combine(state, name + ".card.json"),
        Pin = Existing(Path.Combine(state, PinFile)),
        ManagementKey = Existing(Path.Combine(state, ManagementKeyFile)),
    };

    private const string PinFile = "pin";
    private const string ManagementKeyFile = "management-key";

    /// <summary>What a start prepares in <paramref name="state"/> (the directory, then its files), for --check-config to name those not there yet.</summary>
    public static IEnumerable<string> Prepared(string state) => [state, Path.Combine(state, PinFile), Path.Combine(state, ManagementKeyFile)];

    /// <summary>The file as a secret source; null when it does not exist (only when <see cref="Create"/> did not prepare it).</summary>
    private static SecretRef? Existing(string path) => File.Exists(path) ? new SecretRef { File = path } : null;

    /// <summary>The state directory (0700) and the card's default PIN and management key (0600 files).</summary>
    private static void Prepare(string state)
    {
        Directory.CreateDirectory(state, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(state, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        WriteSecretFile(Path.Combine(state, PinFile), "123456"u8);
        WriteSecretFile(Path.Combine(state, ManagementKeyFile), "010203040506070801020304050607080102030405060708"u8);
    }

    private static void WriteSecretFile(string path, ReadOnlySpan<byte> value)
    {
        if (File.Exists(path))
        {
            return;
        }

        using var f = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        f.Write(value);
    }
}

/// <summary>The serializer for <see cref="SimulatorDefaults.ToJson"/>, generated at build time (no reflection: the daemon is compiled ahead of time).</summary>
[System.Text.Json.Serialization.JsonSourceGenerationOptions(
    PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
[System.Text.Json.Serialization.JsonSerializable(typeof(DaemonConfig))]
internal sealed partial class SimulatorDefaultsJson : System.Text.Json.Serialization.JsonSerializerContext;
