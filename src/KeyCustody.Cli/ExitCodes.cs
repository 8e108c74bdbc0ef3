namespace KeyCustody.Cli;

/// <summary>Process exit codes, listed in <c>keycustody --help</c>.</summary>
internal static class ExitCodes
{
    /// <summary>Success: the output is the answer (valid signature, every device trusted).</summary>
    public const int Ok = 0;

    /// <summary>The input was fine but the answer is "no": invalid signature, untrusted device.</summary>
    public const int No = 1;

    /// <summary>Bad input or usage: one line <c>error: ...</c> on stderr, nothing else printed.</summary>
    public const int BadInput = 2;

    public const string Help = """
        Exit codes:
          0  success (signature valid, every device trusted)
          1  the answer is no: signature invalid (json verify), a device not trusted (trust check)
          2  bad input or usage: one line 'error: ...' on stderr and nothing else
        """;
}
