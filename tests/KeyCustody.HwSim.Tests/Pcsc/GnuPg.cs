using KeyCustody.Tests.Shared;

namespace KeyCustody.HwSim.Tests.Pcsc;

/// <summary>
/// Debian's GnuPG 2.2.40 with a private GNUPGHOME in the test's work directory, its scdaemon reaching the private pcscd
/// (scdaemon.conf: disable-ccid, pcsc-shared, pcsc-driver libpcsclite.so.1, the reader of the test's slot; the socket path
/// travels in PCSCLITE_CSOCK_NAME from gpg to gpg-agent to scdaemon). The user at the keyboard is a scripted pinentry:
/// it answers the Admin PIN when the prompt asks for it and the PIN otherwise. Dispose ends this home's agent and scdaemon
/// (gpgconf --kill all with this GNUPGHOME), no other.
/// </summary>
internal sealed class GnuPg : IDisposable
{
    private readonly PrivatePcscd _pcscd;
    private readonly Dictionary<string, string> _environment;

    public GnuPg(PrivatePcscd pcscd, int slot, string work, string userPin = "123456", string adminPin = "12345678")
    {
        _pcscd = pcscd;
        Home = Directory.CreateDirectory(Path.Combine(work, "gnupg")).FullName;
        File.SetUnixFileMode(Home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(Path.Combine(Home, "scdaemon.conf"), string.Join('\n',
            "disable-ccid", "pcsc-shared", "pcsc-driver libpcsclite.so.1", "reader-port " + PrivatePcscd.ReaderName(slot),
            "log-file " + Path.Combine(work, "scdaemon.log"), string.Empty));
        var pinentry = Path.Combine(work, "pinentry.sh");
        File.WriteAllText(pinentry, """
            #!/bin/sh
            # The user at the keyboard, for the tests: the Admin PIN when asked for it, else the PIN.
            echo "OK pinentry of the hw-sim tests"
            admin=0
            while IFS= read -r line; do
              case "$line" in
                SETDESC*Admin*|SETPROMPT*Admin*) admin=1; echo OK ;;
                SETDESC*) admin=0; echo OK ;;
                GETPIN*) if [ $admin = 1 ]; then echo "D $TEST_ADMIN_PIN"; else echo "D $TEST_USER_PIN"; fi; echo OK ;;
                BYE*) echo OK; exit 0 ;;
                *) echo OK ;;
              esac
            done
            """);
        File.SetUnixFileMode(pinentry, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(Path.Combine(Home, "gpg-agent.conf"), "pinentry-program " + pinentry + "\n");
        _environment = new Dictionary<string, string>
        {
            ["GNUPGHOME"] = Home,
            ["LC_ALL"] = "C",
            ["TEST_USER_PIN"] = userPin,
            ["TEST_ADMIN_PIN"] = adminPin,
        };
        Gpg = new CommandLineTool(pcscd, "/usr/bin/gpg", [], _environment);
    }

    public string Home { get; }

    public CommandLineTool Gpg { get; }

    /// <summary>gpg --card-edit driven through --command-fd: one answer per line, in the order gpg asks.</summary>
    public string CardEdit(params string[] answers) =>
        Gpg.RunWithInput(string.Join('\n', answers) + "\n", "--no-tty", "--command-fd", "0", "--status-fd", "2", "--card-edit");

    public string EditKey(string key, params string[] answers) =>
        Gpg.RunWithInput(string.Join('\n', answers) + "\n", "--no-tty", "--command-fd", "0", "--status-fd", "2", "--edit-key", key);

    /// <summary>A talk with gpg-agent (its SCD commands reach scdaemon).</summary>
    public string Agent(params string[] commands) =>
        new CommandLineTool(_pcscd, "/usr/bin/gpg-connect-agent", [], _environment).Run([.. commands, "/bye"]);

    public void Dispose() => new CommandLineTool(_pcscd, "/usr/bin/gpgconf", [], _environment).Run("--kill", "all");
}
