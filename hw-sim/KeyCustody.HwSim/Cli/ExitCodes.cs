namespace KeyCustody.HwSim.Cli;

/// <summary>keycustody-hwsim's exit codes: the keycustody CLI's, where they apply.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>Bad usage, or a request the simulator refused: one line <c>error: ...</c> on stderr.</summary>
    public const int BadInput = 2;

    /// <summary>Nothing answers on the control socket.</summary>
    public const int Unavailable = 5;

    public const string Help = """
        Exit codes:
          0  success (control commands print the simulator's JSON answer)
          2  bad usage, or the simulator refused the request: one line 'error: ...' on stderr
          5  nothing answers on the control socket (is the simulator running, is --control right?)
        """;
}
