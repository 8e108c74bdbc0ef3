using System.Diagnostics;
using KeyCustody.Tests.Shared;
using Xunit;

namespace KeyCustody.Cli.Tests.Publishing;

/// <summary>
/// The password prompt on a real terminal: keycustody runs in a pseudo-terminal (Python's pty module) and a
/// "person" types at each prompt. Everything the terminal shows is captured, so an echoed password would be seen.
/// </summary>
public sealed class TerminalPasswordTests : IDisposable
{
    private const string Alice = "@alice:example.org";
    private const string Token = "syt_terminal_test_token";
    private const string Password = "terminal-typed sesame ünï";

    // Types the next line of its standard input each time a new password prompt appears; prints what the terminal showed.
    private const string Driver = """
        import os, pty, select, sys, time
        answers = sys.stdin.buffer.read().split(b"\n")
        pid, fd = pty.fork()
        if pid == 0:
            os.execvp(sys.argv[1], sys.argv[1:])
        shown, typed = b"", 0
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if shown.count(b"password of") > typed and typed < len(answers):
                os.write(fd, answers[typed] + b"\r")
                typed += 1
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    break
                if not data:
                    break
                shown += data
        _, status = os.waitpid(pid, 0)
        sys.stdout.buffer.write(shown)
        sys.exit(os.waitstatus_to_exitcode(status))
        """;

    private readonly TestHomeserver _hs = new();
    private readonly TestFiles _files = new();
    private readonly SoftwareIdentity _alice = new(Alice);
    private readonly SoftwareIdentity _replacement = new(Alice);

    public TerminalPasswordTests()
    {
        _hs.AddUser(Alice, Token, Password);
        _alice.StoreOn(_hs);
    }

    public void Dispose()
    {
        _hs.Dispose();
        _files.Dispose();
        _alice.Dispose();
        _replacement.Dispose();
    }

    [Fact]
    public void A_password_typed_on_the_terminal_is_not_echoed_and_a_wrong_one_can_be_typed_again()
    {
        var (exit, shown) = RunOnTerminal(
            "wrong horse\n" + Password,
            "publish", "--homeserver", _hs.Url, "--access-token-file", _files.Secret("token", Token), "--body", _files.Json("body.json", _replacement.UploadBody));

        Assert.True(exit == 0, shown);
        Assert.Contains("the homeserver did not accept the password (M_FORBIDDEN: Invalid username or password); try again", shown, StringComparison.Ordinal);
        Assert.Contains("published the cross-signing keys of " + Alice, shown, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong horse", shown, StringComparison.Ordinal);
        Assert.DoesNotContain("sesame", shown, StringComparison.Ordinal);
        Assert.Equal(_replacement.MasterJson, _hs.CrossSigningKey(Alice, "master"));
        Assert.Equal(3, _hs.RequestsTo("keys/device_signing/upload").Count());
    }

    private static (int ExitCode, string Shown) RunOnTerminal(string typed, params string[] args)
    {
        var psi = new ProcessStartInfo(PythonOracle.Python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "-c", Driver, "dotnet", Binaries.Cli }.Concat(args))
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.StandardInput.Write(typed);
        p.StandardInput.Close();
        if (!p.WaitForExit(150_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("the terminal driver did not finish");
        }

        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
