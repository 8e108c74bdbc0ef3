using System.CommandLine;
using KeyCustody.HwSim.Cli;

namespace KeyCustody.HwSim;

internal static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("keycustody-hwsim: a virtual YubiKey 5.7 PIV card for tests and demos")
        {
            RunCommand.Build(),
            RootCertCommand.Build(),
        };
        foreach (var command in ControlCommands.Build())
        {
            root.Add(command);
        }

        return root.Parse(args).Invoke();
    }
}
