using KeyCustody.Tokens.Pkcs11;
using KeyCustody.Tokens.Tests.Support;

namespace KeyCustody.Tokens.Tests.Pkcs11;

/// <summary>
/// A module version with a known issue an operator must plan for is named (SoftHSM2 2.6 and earlier leak memory in every
/// Ed25519 signature); every other module and version is not.
/// </summary>
[Collection(SoftHsmCollection.Name)]
public sealed class KnownIssueTests
{
    [Theory]
    [InlineData("SoftHSM", "2.6", true)]
    [InlineData("SoftHSM                         ", "2.6", true)]
    [InlineData("SoftHSM", "2.5", true)]
    [InlineData("SoftHSM", "1.3", true)]
    [InlineData("SoftHSM", "2.7", false)]
    [InlineData("SoftHSM", "3.0", false)]
    [InlineData("SoftHSM", "2", false)]
    [InlineData("SoftHSM", "two.six", false)]
    [InlineData("Yubico (www.yubico.com)", "2.6", false)]
    [InlineData("SoftHSMv3", "2.6", false)]
    public void Only_softhsm2_up_to_2_6_is_named(string manufacturer, string version, bool named)
    {
        var issue = Pkcs11Native.KnownIssue(manufacturer, version);
        Assert.Equal(named, issue is not null);
        if (named)
        {
            Assert.StartsWith($"SoftHSM2 {version} keeps memory", issue, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_warning_gives_the_steady_leak_per_signature_and_says_a_patched_build_still_reports_its_version()
    {
        var issue = Pkcs11Native.KnownIssue("SoftHSM", "2.6");
        Assert.Contains("about 64 bytes a signature", issue, StringComparison.Ordinal);
        Assert.Contains("a 2.6 built with it still reports 2.6", issue, StringComparison.Ordinal);
        Assert.Contains("Restart it now and then, or use a SoftHSM2 with the fix", issue, StringComparison.Ordinal);
    }

    [Fact]
    public void The_installed_softhsm2_token_says_whether_its_version_leaks()
    {
        using var token = SoftHsm.Open(SoftHsm.CreateToken());
        var installed = KeyCustody.Tests.Shared.SoftHsmTokens.InstalledVersion();
        if (installed < new Version(2, 7))
        {
            Assert.NotNull(token.ModuleKnownIssue);
            Assert.Contains($"SoftHSM2 {installed.Major}.{installed.Minor} ", token.ModuleKnownIssue, StringComparison.Ordinal);
        }
        else
        {
            Assert.Null(token.ModuleKnownIssue);
        }
    }
}
