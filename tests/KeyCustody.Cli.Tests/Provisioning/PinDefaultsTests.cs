using KeyCustody.Cli.Migration;
using KeyCustody.Cli.Provisioning;
using KeyCustody.Protos.V1;
using Xunit;

namespace KeyCustody.Cli.Tests.Provisioning;

/// <summary>provision's and migrate's default PIN policy on an OpenPGP card, which always asks for a PIN.</summary>
public sealed class PinDefaultsTests
{
    [Theory]
    [InlineData("never", false, "openpgp", "once")]
    [InlineData("never", true, "openpgp", "never")] // given by the operator: kept, and the daemon refuses it plainly
    [InlineData("always", false, "openpgp", "always")]
    [InlineData("never", false, "piv", "never")]
    [InlineData("never", false, "simulator", "never")]
    public void A_default_never_becomes_once_on_an_openpgp_card_only(string pin, bool given, string kind, string expected) =>
        Assert.Equal(expected, PinDefaults.For(pin, given, kind, "ssk key"));

    [Fact]
    public void Migrate_policies_follow_the_same_rule()
    {
        var card = new KeyInfo { Name = "alice-ssk", TokenKind = "openpgp" };
        Assert.Equal("once", new KeyPolicies("never", "always").For(card, "ssk key").Pin);
        Assert.Equal("never", new KeyPolicies("never", "always") { PinGiven = true }.For(card, "ssk key").Pin);
        Assert.Equal("always", new KeyPolicies("never", "always").For(card, "ssk key").Touch);
    }
}
