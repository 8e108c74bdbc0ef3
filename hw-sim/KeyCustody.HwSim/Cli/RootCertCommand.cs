using System.CommandLine;
using KeyCustody.HwSim.Crypto;

namespace KeyCustody.HwSim.Cli;

/// <summary><c>keycustody-hwsim root-cert</c>: prints the installation's simulator root CA certificate (PEM).</summary>
internal static class RootCertCommand
{
    public static Command Build()
    {
        var root = new Option<string?>("--root") { Description = "simulator root CA file (default: $XDG_DATA_HOME/keycustody-hwsim/root-ca.json, else under $HOME/.local/share)" };
        var command = new Command("root-cert", "Print the simulator root CA certificate that attestations chain to") { root };
        command.SetAction(result =>
        {
            using var loaded = SimulatorRoot.LoadOrCreate(result.GetValue(root) ?? SimulatorRoot.DefaultPath());
            Console.WriteLine(loaded.Certificate.ExportCertificatePem());
            return 0;
        });
        return command;
    }
}
