using System.Diagnostics;
using KeyCustody.Daemon.Hosting;
using Xunit;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// The commands the start prints for keys not generated yet are pasted into a shell: a user ID or key name in them is
/// one word to bash, whatever it holds (historical Matrix localparts may hold '$', '`', ';', '(').
/// </summary>
public sealed class StartupKeyLogTests
{
    [Theory]
    [InlineData("@demo:localhost")]
    [InlineData("@x$(touch /tmp/pwned-by-paste):example.org")]
    [InlineData("@a`id`;b|c:example.org")]
    [InlineData("it's a key")]
    [InlineData("@x'$(id)':example.org")]
    public void A_printed_word_reaches_bash_as_itself(string text)
    {
        var start = new ProcessStartInfo("/bin/bash") { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("printf %s " + StartupKeyLog.ShellWord(text));
        using var bash = Process.Start(start)!;
        var output = bash.StandardOutput.ReadToEnd();
        bash.WaitForExit();
        Assert.Equal(text, output);
    }

    [Fact]
    public void A_plain_user_id_is_printed_as_it_is()
    {
        Assert.Equal("@demo:localhost", StartupKeyLog.ShellWord("@demo:localhost"));
    }
}
