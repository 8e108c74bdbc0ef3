using System.CommandLine;
using KeyCustody.HwSim.Crypto;

namespace KeyCustody.HwSim.Cli;

/// <summary><c>keycustody-hwsim root-cert</c>: prints the installation's simulator root CA certificate (PEM).</summary>
internal static class RootCertCommand
{
    public static Command Build()
    {
        var root = new Option<string>("--root") { Description = "simulator root CA file", DefaultValueFactory = _ => SimulatorRoot.DefaultPath() };
        var command = new Command("root-cert", "Print the simulator root CA certificate that attestations chain to") { root };
        command.SetAction(result =>
        {
            using var loaded = SimulatorRoot.LoadOrCreate(result.GetValue(root)!);
            Console.WriteLine(loaded.Certificate.ExportCertificatePem());
            return 0;
        });
        return command;
    }
}
