using KeyCustody.Tests.Shared;
using Xunit;

namespace KeyCustody.Daemon.Tests.Migration;

/// <summary>
/// Debian's GnuPG 2.2.40 looking at one card behind the test's private pcscd, as a person would after a migration: a
/// GNUPGHOME of its own whose scdaemon reaches that reader (disable-ccid, pcsc-shared, libpcsclite), and a scripted
/// pinentry that gives the PIN. Dispose ends this home's gpg-agent and scdaemon (gpgconf --kill with this GNUPGHOME).
/// </summary>
internal sealed class CardGnuPg : IDisposable
{
    private readonly PrivatePcscd _pcscd;

    public CardGnuPg(PrivatePcscd pcscd, string reader, string work, string pin)
    {
        _pcscd = pcscd;
        Work = Directory.CreateDirectory(work).FullName;
        Home = Directory.CreateDirectory(Path.Combine(Work, "gnupg")).FullName;
        File.SetUnixFileMode(Home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(Path.Combine(Home, "scdaemon.conf"), string.Join('\n',
            "disable-ccid", "pcsc-shared", "pcsc-driver libpcsclite.so.1", "reader-port " + reader, "log-file " + Path.Combine(Work, "scdaemon.log"), string.Empty));
        var pinentry = Path.Combine(Work, "pinentry.sh");
        File.WriteAllText(pinentry, """
            #!/bin/sh
            # The card holder at the keyboard, for the test: the PIN whenever asked.
            echo "OK pinentry of the migration tests"
            while IFS= read -r line; do
              case "$line" in
                GETPIN*) echo "D $TEST_PIN"; echo OK ;;
                BYE*) echo OK; exit 0 ;;
                *) echo OK ;;
              esac
            done
            """);
        File.SetUnixFileMode(pinentry, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(Path.Combine(Home, "gpg-agent.conf"), "pinentry-program " + pinentry + "\n");
        Pin = pin;
    }

    public string Work { get; }

    public string Home { get; }

    private string Pin { get; }

    /// <summary>gpg with this home; its output (stdout then stderr), the exit code checked.</summary>
    public string Gpg(params string[] arguments) => Run("/usr/bin/gpg", arguments);

    /// <summary>A talk with gpg-agent (gpg-connect-agent): its answers and status lines.</summary>
    public string Agent(params string[] commands) => Run("/usr/bin/gpg-connect-agent", [.. commands, "/bye"]);

    public void Dispose() => ChildProcess.Run("/usr/bin/gpgconf", ["--kill", "all"], Environment);

    private string Run(string program, string[] arguments)
    {
        var (exit, output) = ChildProcess.Run(program, arguments, Environment);
        Assert.True(exit == 0, $"{Path.GetFileName(program)} {string.Join(' ', arguments)} exited {exit}:\n{output}");
        return output;
    }

    private void Environment(System.Diagnostics.ProcessStartInfo start)
    {
        _pcscd.AddTo(start);
        start.Environment["GNUPGHOME"] = Home;
        start.Environment["LC_ALL"] = "C";
        start.Environment["TZ"] = "UTC";
        start.Environment["TEST_PIN"] = Pin;
    }
}
