using KeyCustody.Tokens.Pkcs11;
using KeyCustody.Tokens.Tests.Pkcs11.FakeModule;

namespace KeyCustody.Tokens.Tests.Pkcs11;

/// <summary>
/// Two tokens answering to the label or serial asked for: none is opened (the PIN would have gone to whichever the
/// module listed first), all are named, and how to choose one is said. The fake (fake_pkcs11.c) shows two tokens in
/// slots 0 and 7; the single-token side is every SoftHSM2 and ykcs11 test.
/// </summary>
public sealed class DuplicateTokenTests
{
    /// <summary>Two tokens labelled "fake" with different serials: refused, and the serial chooses either.</summary>
    [Fact]
    public void Two_tokens_with_the_label_are_refused_and_the_serial_chooses_one()
    {
        var module = FakePkcs11.Module("twins");

        var error = Assert.Throws<TokenNotFoundException>(() => FakePkcs11.Open(module));

        Assert.Contains($"More than one token labelled \"fake\" in {module} is present", error.Message, StringComparison.Ordinal);
        Assert.Contains("slot 0: \"fake\", serial 0001, slot 7: \"fake\", serial 0002", error.Message, StringComparison.Ordinal);
        Assert.Contains("none was opened and no PIN was sent. Choose one by its serial (tokenSerial instead of tokenLabel)", error.Message, StringComparison.Ordinal);
        foreach (var serial in (string[])["0001", "0002"])
        {
            using var token = Open(module, serial);
            Assert.Equal(serial, token.GetStatus().Serial);
        }
    }

    /// <summary>Two tokens claiming serial 0001: refused (one is not what it claims); the label still finds one of them alone.</summary>
    [Fact]
    public void Two_tokens_with_the_serial_are_refused()
    {
        var module = FakePkcs11.Module("clones");

        var error = Assert.Throws<TokenNotFoundException>(() => Open(module, "0001"));

        Assert.Contains($"More than one token with serial 0001 in {module} is present", error.Message, StringComparison.Ordinal);
        Assert.Contains("slot 0: \"fake\", serial 0001, slot 7: \"fake2\", serial 0001", error.Message, StringComparison.Ordinal);
        Assert.Contains("one is not what it claims", error.Message, StringComparison.Ordinal);
        using var token = Pkcs11Token.Open(new Pkcs11TokenOptions { ModulePath = module, TokenLabel = "fake2", PoolSize = 1 });
        Assert.Equal("0001", token.GetStatus().Serial);
    }

    private static Pkcs11Token Open(string module, string serial) =>
        Pkcs11Token.Open(new Pkcs11TokenOptions { ModulePath = module, TokenSerial = serial, PoolSize = 1 });
}
